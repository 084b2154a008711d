// Package ledger is the durable per-file state of a coordination group, in
// the coordination database: each file version is recorded once, claimed
// under a lease, and ends DONE or, after maxTries failed attempts, REJECTED.
// A member that crashed mid-file leaves a lease that expires and the file is
// claimed again; it is never lost and never completed twice.
//
// Fencing: in warm-backup mode every claim, renewal and completion carries
// the member's coordination term and changes nothing unless that term still
// holds the group's token; in shared mode the claim token plays that part.
// Every operation is one statement (or one short transaction on MySQL) per
// batch, never a round trip per file where a batch works.
package ledger

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
)

// Status is the state of one file version.
type Status string

// The states of a file version.
const (
	Pending    Status = "PENDING"
	InProgress Status = "IN_PROGRESS"
	Done       Status = "DONE"
	Failed     Status = "FAILED" // waits for retryTimeout, then is claimed again
	Rejected   Status = "REJECTED"
)

// VersionMode says what makes a new version of a file.
type VersionMode string

// The version modes.
const (
	PathSizeMTime VersionMode = "path+size+mtime" // default
	PathMTime     VersionMode = "path+mtime"
	PathOnly      VersionMode = "path"
)

// Mode says who processes files.
type Mode string

// The processing modes.
const (
	WarmBackup Mode = "warm-backup" // only the active member lists and processes
	Shared     Mode = "shared"      // the active member lists; every member processes
)

// File is one listed file version.
type File struct {
	Path  string
	Size  int64
	MTime int64 // ms since the epoch
}

// VersionKey is the stable identity of a file version in its group, under
// mode: hex SHA-256 of the group, the mode and the version's parts. Handlers
// receive it as their idempotency key.
func VersionKey(group string, mode VersionMode, f File) string {
	h := sha256.New()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(mode))
	h.Write([]byte{0})
	h.Write([]byte(f.Path))
	switch mode {
	case PathMTime:
		h.Write([]byte("\x00" + strconv.FormatInt(f.MTime, 10)))
	case PathOnly:
	default:
		h.Write([]byte("\x00" + strconv.FormatInt(f.Size, 10) + "\x00" + strconv.FormatInt(f.MTime, 10)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Claim is one file version this member may work on until its lease ends.
type Claim struct {
	Key   string // VersionKey
	File  File
	Tries int    // attempts so far, this one included
	Token string // the claim token, shared by the claims of one batch
	Term  int64  // the fencing term it was claimed under (warm-backup)
	// Listed is when the version was first listed, on this process's
	// clock (its age on the database clock when it was claimed): the
	// start of Backlog.ListedToCommit. Zero for a claim made by hand.
	Listed time.Time
}

// ErrLost is returned when a write finds that the claim is no longer this
// member's: its lease expired and another member claimed the file, or (in
// warm-backup mode) this member's term no longer holds the token. Nothing
// was changed.
var ErrLost = errors.New("ledger: the claim was lost; nothing changed")

// Config is what a Ledger needs.
type Config struct {
	DB       *sql.DB
	Dialect  schema.Dialect
	GroupID  string
	MemberID string
	Mode     Mode        // default WarmBackup
	Version  VersionMode // default PathSizeMTime
	// Space keeps one service's file versions apart from the other
	// services' of the same group (a listener with several services):
	// its rows are kept under SpaceID(GroupID, Space). Empty: the group's
	// own rows, as a listener with one service keeps them.
	Space string
	// BatchSize bounds the rows of one statement; default 500.
	BatchSize int
	// StatementTimeout bounds each statement (each try of a write, each
	// read); default 30 s. A connection that hangs (a partition
	// that drops packets, a server that stops answering) then fails the
	// call instead of stalling the member until TCP gives up.
	StatementTimeout time.Duration
	// Logger gets the ledger's warnings; default slog.Default().
	Logger *slog.Logger
}

// Ledger is one member's handle on its group's ledger.
type Ledger struct {
	cfg Config // cfg.GroupID: the rows' group_id, SpaceID(group, Space)
	// group is the coordination group, whose token fences the writes.
	group   string
	stats   planStats
	signals signals // this member's counts for Backlog
	// orderedClaim: on MySQL, the table has the claim index
	// ftpcoord_file_claim_order (tables made before it have not).
	orderedClaim bool
	claimPicked  func() // tests: runs inside the claim transaction, its rows locked
}

// New checks the configuration and that the ledger's table exists.
func New(ctx context.Context, cfg Config) (*Ledger, error) {
	if cfg.Mode == "" {
		cfg.Mode = WarmBackup
	}
	if cfg.Version == "" {
		cfg.Version = PathSizeMTime
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.StatementTimeout <= 0 {
		cfg.StatementTimeout = 30 * time.Second
	}
	switch {
	case cfg.DB == nil:
		return nil, errors.New("ledger: no database")
	case !cfg.Dialect.Valid():
		return nil, fmt.Errorf("ledger: unknown dialect %q", cfg.Dialect)
	case cfg.GroupID == "" || cfg.MemberID == "":
		return nil, errors.New("ledger: group and member ids are required")
	case cfg.Mode != WarmBackup && cfg.Mode != Shared:
		return nil, fmt.Errorf("ledger: mode %q: use %q or %q", cfg.Mode, WarmBackup, Shared)
	case cfg.Version != PathSizeMTime && cfg.Version != PathMTime && cfg.Version != PathOnly:
		return nil, fmt.Errorf("ledger: version key %q: use %q, %q or %q", cfg.Version, PathSizeMTime, PathMTime, PathOnly)
	}
	if cfg.Space != "" {
		if err := CheckSpace(cfg.GroupID, cfg.Space); err != nil {
			return nil, fmt.Errorf("ledger: space %w", err)
		}
	}
	if err := schema.VerifyLedger(ctx, cfg.DB, cfg.Dialect); err != nil {
		return nil, err
	}
	l := &Ledger{cfg: cfg, group: cfg.GroupID}
	l.cfg.GroupID = SpaceID(cfg.GroupID, cfg.Space)
	if cfg.Dialect == schema.MySQL {
		ordered, err := schema.HasIndex(ctx, cfg.DB, cfg.Dialect, "ftpcoord_file", schema.MySQLClaimIndex)
		if err != nil {
			return nil, fmt.Errorf("ledger: look up the claim index: %w", err)
		}
		l.orderedClaim = ordered
		if !ordered {
			cfg.logger().Warn("ledger: ftpcoord_file was made before its claim index: every claim sorts and locks all claimable files of the group, "+
				"and a concurrent claim may find nothing; add the index once (the table is locked while it is built)", "sql", schema.MySQLClaimIndexUpgrade)
		}
	}
	return l, nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
