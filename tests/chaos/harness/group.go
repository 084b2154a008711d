// Package harness runs a coordination group of member processes
// (tests/member) against the real test servers, injects faults (SIGKILL,
// SIGSTOP, a database or FTP server that goes away, a partition of one
// member, a Ballerina peer), and proves afterwards from the ledger, the
// handlers' log and a sampled token history that no file was lost or
// completed twice and that at most one member was active at a time.
//
// The chaos tests, the chaos matrix (tests/chaos/matrix) and the soak
// (tests/soak) share it.
package harness

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// Env is where the test servers are: pure-ftpd's address, login and root
// directory (its files are written there directly).
type Env struct {
	FTPAddr, FTPUser, FTPPassword, FTPRoot string
}

// EnvFromOS reads Env from the variables tests/services/start.sh prints.
func EnvFromOS() (Env, error) {
	e := Env{}
	var missing []string
	for _, v := range []struct {
		name string
		dst  *string
	}{
		{"FTPCOORD_TEST_PUREFTPD_ADDR", &e.FTPAddr}, {"FTPCOORD_TEST_PUREFTPD_USER", &e.FTPUser},
		{"FTPCOORD_TEST_PUREFTPD_PASSWORD", &e.FTPPassword}, {"FTPCOORD_TEST_PUREFTPD_ROOT", &e.FTPRoot},
	} {
		*v.dst = os.Getenv(v.name)
		if *v.dst == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("%s not set: run `eval \"$(bash tests/services/start.sh)\"` (or `make services`) first", strings.Join(missing, ", "))
	}
	return e, nil
}

// BuildMember compiles tests/member into dir and returns the binary's path.
func BuildMember(dir string) (string, error) {
	bin := filepath.Join(dir, "member")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/ftpcoord/ftpcoord/tests/member")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build tests/member: %w", err)
	}
	return bin, nil
}

// RandN is a uniform random number in [0, n).
func RandN(n int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}

// Options shape a group.
type Options struct {
	Bin     string // tests/member binary (BuildMember)
	Env     Env
	Dialect schema.Dialect
	Mode    string // warm-backup (default) or shared
	// Files are in the directory before the members start; Arrivals more
	// arrive one every ArrivalEvery once Arrive is called.
	Files, Arrivals int
	ArrivalEvery    time.Duration
	Liveness        int           // livenessCheckInterval, seconds (default 2)
	Heartbeat       float64       // heartbeatFrequency, seconds (default 0.25)
	Work            time.Duration // each handler run (default 40 ms)
	// Stats makes every member write its goroutines and memory (-stats).
	Stats bool
	// Settings overrides listener settings (maxFilesPerPoll, workers, ...);
	// a nil value removes the setting, so that its default applies.
	Settings map[string]any
	// GrowInPlace: arrivals are written in place in small pieces, 2 ms
	// apart, as a slow upload writes them, instead of renamed in whole:
	// listings see them grow.
	GrowInPlace bool
}

// Member is one member process.
type Member struct {
	ID      string
	Pid     int
	DieAt   string // the -die-at point it was started with, if any
	Stats   string // its -stats file, with Options.Stats
	cmd     *exec.Cmd
	exited  chan struct{}
	status  syscall.WaitStatus
	started time.Time
}

// Exited is closed when the process has ended.
func (m *Member) Exited() <-chan struct{} { return m.exited }

// Status is the process's wait status, once Exited is closed.
func (m *Member) Status() syscall.WaitStatus { return m.status }

// Window is a time span in which a fault kept some processes from their
// database or FTP server.
type Window struct {
	Kind       string // "db" or "ftp"
	Members    []string
	From, To   time.Time
	pidsInside map[int]bool
}

// Group is one coordination group of member processes and what was done to
// it.
type Group struct {
	Opt       Options
	Name      string // coordination group
	DB        taskcompat.DatabaseConfig
	SQL       *sql.DB // direct, not through a relay
	Log       string  // the handlers' shared log
	Dir       string  // work directory
	remoteDir string  // directory path on the FTP server
	localDir  string  // the same directory on disk
	drop      func() error
	ftpRelay  *ftpRelay
	dbRelays  map[string]*tcpproxy.Proxy
	cfg       map[string]any

	mu        sync.Mutex
	members   map[string]*Member
	all       []*Member
	killed    map[int]time.Time // pid -> when it was SIGKILLed (by us or itself)
	paused    []Pause
	held      []*heldClaims // the paused members' claims, per pause
	windows   []Window
	failovers []time.Time // moments the active member was taken away
	names     []string    // every file name expected
	sampler   *sampler
	peers     []*peerTrack
	peerHalt  func()
	arriving  sync.WaitGroup
	watching  sync.WaitGroup // watchHeld
	stopArr   chan struct{}
}

// Pause is one SIGSTOP..SIGCONT of a process that was active.
type Pause struct {
	Pid      int
	ID       string
	Term     int64 // its term when stopped
	From, To time.Time
}

// New makes a database (schema applied) and a directory of files on the FTP
// server, starts the relays (one to the FTP server, one per member to the
// database) and the token sampler. Close undoes it all.
func New(ctx context.Context, opt Options) (*Group, error) {
	if opt.Mode == "" {
		opt.Mode = "warm-backup"
	}
	if opt.Liveness == 0 {
		opt.Liveness = 2
	}
	if opt.Heartbeat == 0 {
		opt.Heartbeat = 0.25
	}
	if opt.Work == 0 {
		opt.Work = 40 * time.Millisecond
	}
	if opt.ArrivalEvery == 0 {
		opt.ArrivalEvery = 10 * time.Millisecond
	}
	g := &Group{Opt: opt, members: map[string]*Member{}, killed: map[int]time.Time{},
		dbRelays: map[string]*tcpproxy.Proxy{}, stopArr: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			g.Close()
		}
	}()
	b := make([]byte, 4)
	rand.Read(b)
	g.Name = "chaos-" + hex.EncodeToString(b)
	var err error
	if g.Dir, err = os.MkdirTemp("", "ftpcoord-"+g.Name+"-"); err != nil {
		return nil, err
	}
	g.Log = filepath.Join(g.Dir, "handler.log")
	db, drop, err := testdb.Create(ctx, opt.Dialect)
	if err != nil {
		return nil, err
	}
	g.DB, g.drop = db, drop
	if g.SQL, err = taskcompat.OpenDB(db, "UTC", 5*time.Second); err != nil {
		return nil, err
	}
	if err := schema.Apply(ctx, g.SQL, opt.Dialect); err != nil {
		return nil, err
	}
	if g.ftpRelay, err = startFTPRelay(opt.Env.FTPAddr); err != nil {
		return nil, err
	}

	g.remoteDir = g.Name
	g.localDir = filepath.Join(opt.Env.FTPRoot, g.remoteDir)
	for _, d := range []string{g.localDir, g.localDir + ".incoming"} {
		if err := os.Mkdir(d, 0o777); err != nil {
			return nil, err
		}
		os.Chmod(d, 0o777)
	}
	old := time.Now().Add(-time.Hour)
	for i := range opt.Files {
		name := fmt.Sprintf("file-%05d.dat", i)
		f := filepath.Join(g.localDir, name)
		if err := os.WriteFile(f, content(i), 0o644); err != nil {
			return nil, err
		}
		os.Chtimes(f, old, old)
		g.names = append(g.names, name)
	}

	settings := map[string]any{
		"protocol": "FTP", "host": "127.0.0.1", "port": g.ftpRelay.Port(), "path": "/" + g.remoteDir,
		"pollingInterval": 0.2,
		"auth": map[string]any{"credentials": map[string]any{
			"username": opt.Env.FTPUser, "password": opt.Env.FTPPassword}},
		"coordination": map[string]any{"coordinationGroup": g.Name,
			"livenessCheckInterval": opt.Liveness, "heartbeatFrequency": opt.Heartbeat},
		"maxFilesPerPoll": 25, "workers": 4, "processingTimeout": 2, "retryTimeout": 0.2, "maxTries": 50,
		"mode": opt.Mode, "connectTimeout": 5,
	}
	for k, v := range opt.Settings {
		if v == nil {
			delete(settings, k)
		} else {
			settings[k] = v
		}
	}
	g.cfg = settings
	g.sampler = startSampler(g)
	ok = true
	return g, nil
}

func content(i int) []byte {
	return []byte(strings.Repeat(fmt.Sprintf("%05d", i), 200+i%1000))
}

// Arrive starts the steady arrival of Options.Arrivals files, one every
// ArrivalEvery, each written beside the directory and renamed into it.
func (g *Group) Arrive() {
	g.arriving.Add(1)
	go func() {
		defer g.arriving.Done()
		t := time.NewTicker(g.Opt.ArrivalEvery)
		defer t.Stop()
		for i := range g.Opt.Arrivals {
			select {
			case <-g.stopArr:
				return
			case <-t.C:
			}
			n := g.Opt.Files + i
			name := fmt.Sprintf("file-%05d.dat", n)
			if g.Opt.GrowInPlace {
				g.mu.Lock()
				g.names = append(g.names, name)
				g.mu.Unlock()
				g.arriving.Add(1)
				go func() {
					defer g.arriving.Done()
					growInPlace(filepath.Join(g.localDir, name), content(n))
				}()
				continue
			}
			tmp := filepath.Join(g.localDir+".incoming", name)
			if err := os.WriteFile(tmp, content(n), 0o644); err != nil {
				continue
			}
			if os.Rename(tmp, filepath.Join(g.localDir, name)) == nil {
				g.mu.Lock()
				g.names = append(g.names, name)
				g.mu.Unlock()
			}
		}
	}()
}

// growInPlace writes b to path in 250-byte pieces, 2 ms apart, the file
// visible (and listable) from its first, empty state on.
func growInPlace(path string, b []byte) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	for len(b) > 0 {
		time.Sleep(2 * time.Millisecond)
		k := min(250, len(b))
		if _, err := f.Write(b[:k]); err != nil {
			return
		}
		b = b[k:]
	}
}

// WaitArrivals waits until every arriving file is in the directory.
func (g *Group) WaitArrivals() { g.arriving.Wait() }

// Expected is the number of files put in the directory so far.
func (g *Group) Expected() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.names)
}

// dbRelay is member id's own relay to the database, made on first use.
func (g *Group) dbRelay(id string) (*tcpproxy.Proxy, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p := g.dbRelays[id]; p != nil {
		return p, nil
	}
	p, err := tcpproxy.Start(g.DB.Address())
	if err != nil {
		return nil, err
	}
	g.dbRelays[id] = p
	return p, nil
}

// Start starts member id (a new process; the id may have run before) and
// waits until it says it started.
func (g *Group) Start(id string, args ...string) (*Member, error) {
	c := deepCopy(g.cfg)
	db := g.DB
	if d, _ := db.Dialect(); d != schema.SQLite { // a file has no network to cut
		relay, err := g.dbRelay(id)
		if err != nil {
			return nil, err
		}
		db.Host, db.Port = "127.0.0.1", relay.Addr().Port
	}
	coord := c["coordination"].(map[string]any)
	coord["memberId"] = id
	coord["databaseConfig"] = db
	b, _ := json.Marshal(c)
	path := filepath.Join(g.Dir, id+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	m := &Member{ID: id, exited: make(chan struct{})}
	argv := []string{"-config", path, "-log", g.Log, "-work", g.Opt.Work.String()}
	if g.Opt.Stats {
		m.Stats = filepath.Join(g.Dir, id+".stats.json")
		argv = append(argv, "-stats", m.Stats, "-stats-every", "500ms")
	}
	for i, a := range args {
		if a == "-die-at" && i+1 < len(args) {
			m.DieAt = args[i+1]
		}
	}
	cmd := exec.Command(g.Opt.Bin, append(argv, args...)...)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m.cmd, m.Pid, m.started = cmd, cmd.Process.Pid, time.Now()
	go func() {
		cmd.Wait()
		m.status, _ = cmd.ProcessState.Sys().(syscall.WaitStatus)
		if m.status.Signaled() && m.status.Signal() == syscall.SIGKILL {
			g.mu.Lock()
			if _, ok := g.killed[m.Pid]; !ok {
				g.killed[m.Pid] = time.Now() // killed itself (-die-at)
			}
			g.mu.Unlock()
		}
		close(m.exited)
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "started" {
		cmd.Process.Kill()
		<-m.exited
		return nil, fmt.Errorf("member %s did not start: %q %v", id, line, err)
	}
	g.mu.Lock()
	g.members[id] = m
	g.all = append(g.all, m)
	g.mu.Unlock()
	return m, nil
}

// Member is the latest process of id.
func (g *Group) Member(id string) *Member {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.members[id]
}

// Kill SIGKILLs member id and waits for it to end.
func (g *Group) Kill(id string) {
	m := g.Member(id)
	g.mu.Lock()
	g.killed[m.Pid] = time.Now()
	g.mu.Unlock()
	m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.exited
}

// Killed counts the processes that died by SIGKILL.
func (g *Group) Killed() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.killed)
}

// Paused counts the SIGSTOPs.
func (g *Group) Paused() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.paused)
}

// MarkFailover records that the active member was taken away now: the
// failover delay is measured from here to the next member's takeover.
func (g *Group) MarkFailover() {
	g.mu.Lock()
	g.failovers = append(g.failovers, time.Now())
	g.mu.Unlock()
}

// Pause SIGSTOPs member id (with its current term) for d, then SIGCONTs it,
// and watches the claims the member held when it stopped (see heldClaims).
// On SQLite the stopped process may hold the database file's write lock,
// which every member then waits for: the pause is a database fault for all
// of them.
func (g *Group) Pause(id string, term int64, d time.Duration) {
	m := g.Member(id)
	p := Pause{Pid: m.Pid, ID: id, Term: term, From: time.Now()}
	m.cmd.Process.Signal(syscall.SIGSTOP)
	g.watchHeld(id, p.From)
	time.Sleep(d)
	p.To = time.Now()
	m.cmd.Process.Signal(syscall.SIGCONT)
	g.mu.Lock()
	g.paused = append(g.paused, p)
	if g.Opt.Dialect == schema.SQLite {
		var all []string
		for id := range g.members {
			all = append(all, id)
		}
		g.windows = append(g.windows, Window{Kind: "db", Members: all, From: p.From, To: p.To})
	}
	g.mu.Unlock()
}

// heldClaims is what became of the claims a member held when it was
// paused: none may wait for its lease (processingTimeout). Each must be
// committed, given back or reclaimed by another member (its claim token
// gone) soon after the member's heartbeat turned stale, or after it woke.
type heldClaims struct {
	ID      string
	From    time.Time // the SIGSTOP
	Claims  int       // IN_PROGRESS rows of the member just after it
	Settled time.Duration
	Done    bool // every one settled, Settled after the SIGSTOP
	tokens  []any
}

// settled tells whether none of h's claims is IN_PROGRESS under its token
// any more, and notes when it first found so.
func (g *Group) settled(h *heldClaims) bool {
	g.mu.Lock()
	done := h.Done
	g.mu.Unlock()
	if done {
		return true
	}
	var left int
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := qq(g, `SELECT count(*) FROM ftpcoord_file WHERE group_id = ? AND status = 'IN_PROGRESS' AND claim_token IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(h.tokens)), ", ")+`)`)
	if err := g.SQL.QueryRowContext(ctx, q, append([]any{g.Name}, h.tokens...)...).Scan(&left); err != nil || left > 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !h.Done {
		h.Settled, h.Done = time.Since(h.From), true
	}
	return true
}

// heldNow is a copy of every pause's heldClaims as they stand, each looked
// at once more (the watch looks every 50 ms).
func (g *Group) heldNow() []heldClaims {
	g.mu.Lock()
	held := append([]*heldClaims(nil), g.held...)
	g.mu.Unlock()
	out := make([]heldClaims, len(held))
	for i, h := range held {
		g.settled(h)
		g.mu.Lock()
		out[i] = *h
		g.mu.Unlock()
	}
	return out
}

// watchHeld notes member id's claims (their tokens) just after its SIGSTOP
// at from, and watches them until none is IN_PROGRESS under its token any
// more, or the group closes.
func (g *Group) watchHeld(id string, from time.Time) {
	h := &heldClaims{ID: id, From: from}
	defer func() {
		g.mu.Lock()
		g.held = append(g.held, h)
		g.mu.Unlock()
	}()
	var tokens []any
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := g.SQL.QueryContext(ctx, qq(g, `SELECT claim_token, count(*) FROM ftpcoord_file
		WHERE group_id = ? AND owner_member = ? AND status = 'IN_PROGRESS' GROUP BY claim_token`), g.Name, id)
	if err == nil {
		for rows.Next() {
			var tok string
			var n int
			if rows.Scan(&tok, &n) == nil {
				tokens = append(tokens, tok)
				h.Claims += n
			}
		}
		rows.Close()
	}
	if len(tokens) == 0 {
		h.Done = true
		return
	}
	h.tokens = tokens
	g.watching.Add(1)
	go func() {
		defer g.watching.Done()
		for !g.settled(h) {
			select {
			case <-g.stopArr:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

// CutDB sets the database relays of ids (all members when none) to mode
// and returns a function that restores them and records the window.
func (g *Group) CutDB(mode tcpproxy.Mode, ids ...string) func() {
	if len(ids) == 0 {
		g.mu.Lock()
		for id := range g.dbRelays {
			ids = append(ids, id)
		}
		g.mu.Unlock()
	}
	w := Window{Kind: "db", Members: ids, From: time.Now()}
	for _, id := range ids {
		if r, err := g.dbRelay(id); err == nil {
			r.SetMode(mode)
		}
	}
	return func() {
		for _, id := range ids {
			if r, err := g.dbRelay(id); err == nil {
				r.SetMode(tcpproxy.Pass)
			}
		}
		w.To = time.Now()
		g.mu.Lock()
		g.windows = append(g.windows, w)
		g.mu.Unlock()
	}
}

// CutFTP closes every connection to the FTP server, control and data, and
// refuses new ones (a server restart), and returns a function that lets
// them through again.
func (g *Group) CutFTP() func() {
	w := Window{Kind: "ftp", From: time.Now()}
	g.ftpRelay.Cut()
	return func() {
		g.ftpRelay.Restore()
		w.To = time.Now()
		g.mu.Lock()
		g.windows = append(g.windows, w)
		g.mu.Unlock()
	}
}

// Holder is the database's current token holder and term.
func (g *Group) Holder(ctx context.Context) (string, int64) {
	var h string
	var term int64
	g.SQL.QueryRowContext(ctx, testdb.Q(g.Opt.Dialect, `SELECT task_id, term FROM token_holder WHERE group_id = ?`), g.Name).Scan(&h, &term)
	return h, term
}

// Active waits (up to timeout) for a running member process that holds the
// token by the database and believes itself active by its own log, and
// returns its id and term.
func (g *Group) Active(ctx context.Context, timeout time.Duration) (string, int64, error) {
	deadline := time.Now().Add(timeout)
	for {
		h, term := g.Holder(ctx)
		if m := g.Member(h); m != nil && isRunning(m) {
			lg, err := ReadLog(g.Log)
			if err == nil {
				if last, ok := lg.lastRole(m.Pid); ok && last.Active && last.Term == term {
					return h, term, nil
				}
			}
		}
		if time.Now().After(deadline) {
			return "", 0, fmt.Errorf("no running member became active within %v (token holder %q, term %d)", timeout, h, term)
		}
		select {
		case <-ctx.Done():
			return "", 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func isRunning(m *Member) bool {
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// Counts are the group's ledger rows by status.
func (g *Group) Counts(ctx context.Context) (map[string]int, error) {
	rows, err := g.SQL.QueryContext(ctx, testdb.Q(g.Opt.Dialect, `SELECT status, count(*) FROM ftpcoord_file WHERE group_id = ? GROUP BY status`), g.Name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// WaitSettled waits until every expected file is DONE or REJECTED.
func (g *Group) WaitSettled(ctx context.Context, timeout time.Duration) error {
	g.WaitArrivals()
	deadline := time.Now().Add(timeout)
	for {
		c, err := g.Counts(ctx)
		if err == nil && c["DONE"]+c["REJECTED"] >= g.Expected() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d files put, ledger %v after %v", g.Expected(), c, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// StopAll stops every running member with SIGTERM (a graceful stop) and
// waits for them.
func (g *Group) StopAll() {
	g.mu.Lock()
	ms := append([]*Member(nil), g.all...)
	g.mu.Unlock()
	for _, m := range ms {
		if isRunning(m) {
			m.cmd.Process.Signal(syscall.SIGCONT)
			m.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, m := range ms {
		select {
		case <-m.exited:
		case <-time.After(20 * time.Second):
			m.cmd.Process.Kill()
			<-m.exited
		}
	}
}

// Close stops everything, drops the database and removes the files.
func (g *Group) Close() {
	select {
	case <-g.stopArr:
	default:
		close(g.stopArr)
	}
	g.arriving.Wait()
	g.watching.Wait()
	g.StopAll()
	for _, p := range g.peers {
		p.stop()
	}
	if g.sampler != nil {
		g.sampler.stop()
	}
	if g.ftpRelay != nil {
		g.ftpRelay.Close()
	}
	for _, r := range g.dbRelays {
		r.Close()
	}
	if g.SQL != nil {
		g.SQL.Close()
	}
	if g.drop != nil {
		g.drop()
	}
	if g.localDir != "" {
		os.RemoveAll(g.localDir)
		os.RemoveAll(g.localDir + ".incoming")
	}
	if g.Dir != "" && os.Getenv("FTPCOORD_KEEP_CHAOS") == "" {
		os.RemoveAll(g.Dir)
	}
}

// Members is every process started so far, in order.
func (g *Group) Members() []*Member {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Member(nil), g.all...)
}

// FTPRelayPort and DBRelayPort name the relays, for counting sockets.
func (g *Group) FTPRelayPort() int { return g.ftpRelay.Port() }

// DBRelayPort is the port of member id's database relay.
func (g *Group) DBRelayPort(id string) int {
	r, err := g.dbRelay(id)
	if err != nil {
		return 0
	}
	return r.Addr().Port
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// workers is the listener's number of workers.
func (g *Group) workers() int {
	if w, ok := g.cfg["workers"].(int); ok {
		return w
	}
	if w, ok := g.cfg["workers"].(float64); ok {
		return int(w)
	}
	return 1
}

func qq(g *Group, q string) string { return testdb.Q(g.Opt.Dialect, q) }
