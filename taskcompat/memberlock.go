package taskcompat

// Member locks: the crash signal for members that all do work (a listener
// in shared mode), not only for the holder. Each member holds a
// session-bound lock named after its own task id, on the connection its
// heartbeats and checks go on (SQLite: a file lock of its own). Every check
// reads, in the same statement, which members' locks are held. A member whose
// lock was seen held, and then free, on the same connection of the reader (a
// database restart ends the reader's session too, and starts it anew), ended
// its session: it is gone, and its claims can be taken back at once
// (StaleMembers lists it), without waiting for its heartbeat to age.
//
// A member that loses its own lock session (its connection broke) may have
// been taken for gone: it is not current (HeartbeatCurrent) until it holds
// its lock again, and OnLostSession tells the host to cut the work in hand.
// Ballerina nodes and members without member locks never hold one, so they
// are judged by their heartbeat alone.

import (
	"context"
	"database/sql"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
)

// WithMemberLocks makes the member hold its member lock and take the members
// whose lock session ended for gone (see StaleMembers). For groups where every
// member does work; off when crashSignal is false.
func WithMemberLocks() Option { return func(o *options) { o.memberLocks = true } }

// memberKeySQL is, per dialect, the SQL of the lock of the member named by
// the expressions group and task (SQL text): computed by the database both
// where a member takes its own and where the others read it, so that both
// agree by construction.
var memberLockSQL = map[schema.Dialect]struct {
	acquire func() string                   // (group, task) -> true when taken
	held    func(group, task string) string // a boolean expression: someone holds it
}{
	schema.Postgres: {
		acquire: func() string {
			return `SELECT pg_try_advisory_lock(` + pgMemberKey(`$1::text`, `$2::text`, 1) + `, ` + pgMemberKey(`$1::text`, `$2::text`, 2) + `)`
		},
		held: func(group, task string) string {
			return `EXISTS (SELECT 1 FROM lk WHERE lk.classid = (` + pgMemberKey(group, task, 1) + `)::oid AND lk.objid = (` + pgMemberKey(group, task, 2) + `)::oid)`
		},
	},
	schema.MySQL: {
		acquire: func() string { return `SELECT GET_LOCK(` + mysqlMemberLock(`?`, `?`) + `, 0)` },
		held: func(group, task string) string {
			return `IS_USED_LOCK(` + mysqlMemberLock(group, task) + `) IS NOT NULL`
		},
	},
}

// pgMemberKey: key n (1 or 2) of the two int4 keys of a member's advisory
// lock, from the md5 of group and task id, 31 bits each (pg_locks shows
// them as oid).
func pgMemberKey(group, task string, n int) string {
	h := `md5('ftpcoord.member/' || ` + group + ` || '/' || ` + task + `)`
	return `(('x' || substr(` + h + `, ` + strconv.Itoa(8*n-7) + `, 8))::bit(32)::int & 2147483647)`
}

// mysqlMemberLock: a member's GET_LOCK name (48 characters); lock names are
// server-wide, so the database's name is in it.
func mysqlMemberLock(group, task string) string {
	return `CONCAT('ftpcoord.member/', MD5(CONCAT(DATABASE(), '/', ` + group + `, '/', ` + task + `)))`
}

// pgLocksCTE: the advisory locks granted in this database, read once per statement.
const pgLocksCTE = `WITH lk AS MATERIALIZED (SELECT classid, objid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted ` +
	`AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) `

// observeWithLocks is the dialect's observe statement with one more column:
// whether the row's member lock is held.
func observeWithLocks(d schema.Dialect) string {
	base := dialectSQL[d].observe
	col := `, (h.task_id IS NOT NULL AND ` + memberLockSQL[d].held(`h.group_id`, `h.task_id`) + `) FROM token_holder t`
	q := strings.Replace(base, ` FROM token_holder t`, col, 1)
	if d == schema.Postgres {
		q = pgLocksCTE + q
	}
	return q
}

// memberWatch is a member's side of the member locks; loop goroutine, except
// the atomics.
type memberWatch struct {
	on      bool
	observe string // observe with the lock column (SQL dialects)
	acquire string
	file    memberFile // SQLite: the member's own lock file session
	// gen counts the member's connections: a lock seen held and then free
	// on the same one means its session ended (not a restart: that ends
	// ours too, and a new connection starts a new generation).
	gen      int64
	heldGen  int64 // the generation on which this member holds its lock (0: none)
	retryAt  time.Time
	failures int
	lost     bool             // its lock session ended once: the others may have taken it for gone
	seen     map[string]int64 // member -> generation its lock was last seen held in
	gone     map[string]bool  // members whose session ended, until seen again or their row goes
	// standing: this member holds its lock now, or needs none (read by
	// HeartbeatCurrent on any goroutine).
	standing   atomic.Bool
	standingAt atomic.Int64 // and from this time on (unix ns)
}

// memberLockRetry bounds how often a member that could not take its lock
// tries again (one statement).
const memberLockRetry = time.Second

// initMemberLocks turns member locks on (New); without them a member
// stands by its heartbeat alone.
func (c *Coordinator) initMemberLocks(on bool) {
	m := &c.members
	m.standing.Store(true)
	if !on {
		return
	}
	if c.dialect == schema.SQLite {
		f, err := openFileLockSession(c.cfg.Database.Database, c.cfg.GroupID)
		if err != nil {
			c.log.Info("member locks off: no file locks here; members are judged by their heartbeats", "err", err)
			return
		}
		m.file = f.(memberFile)
	} else {
		m.observe = observeWithLocks(c.dialect)
		m.acquire = memberLockSQL[c.dialect].acquire()
	}
	m.on = true
	m.standing.Store(false)
	m.seen, m.gone = map[string]int64{}, map[string]bool{}
	if m.file != nil {
		c.memberLockDue(context.Background()) // at once: held before the first heartbeat
	}
}

// closeMemberLocks lets go of the member's lock file (finish); the SQL
// locks end with the member's connection.
func (c *Coordinator) closeMemberLocks() {
	if f := c.members.file; f != nil {
		f.close()
		c.members.file = nil
	}
}

// memberConnOpened takes the member lock on a new connection of the member.
func (c *Coordinator) memberConnOpened(ctx context.Context, conn *sql.Conn) {
	m := &c.members
	if !m.on || m.acquire == "" {
		return // SQLite: the lock is on a file of its own, whatever the connection
	}
	m.gen++
	c.takeMemberLock(ctx, conn)
}

func (c *Coordinator) takeMemberLock(ctx context.Context, conn *sql.Conn) {
	m := &c.members
	m.retryAt = c.now().Add(memberLockRetry)
	c.statementCnt.Add(1)
	var ok sql.NullBool
	if err := conn.QueryRowContext(ctx, m.acquire, c.cfg.GroupID, c.cfg.TaskID).Scan(&ok); err != nil {
		c.memberLockFailed(err)
		return
	}
	if !ok.Valid || !ok.Bool {
		c.log.Debug("member lock held by another session (an earlier run of this member whose session the server has not ended yet, or a duplicate memberId); trying again", "retryIn", memberLockRetry)
		return
	}
	m.failures = 0
	m.heldGen = m.gen
	c.memberLockTaken()
}

// memberLockTaken: this member holds its lock. Taken again after its
// session ended, it stands only once every other member has had a check to
// see it held: until then one that took it for gone would take back the
// claims it makes now. (A restarted member's first lock comes before
// Start's probe of its old heartbeat row, which waits longer than that.)
func (c *Coordinator) memberLockTaken() {
	m := &c.members
	if m.lost {
		m.standingAt.Store(c.now().Add(c.checkPeriod + memberSeenMargin).UnixNano())
	}
	m.standing.Store(true)
}

// memberSeenMargin: the others' check statement's run, past their period.
const memberSeenMargin = 250 * time.Millisecond

// memberLockFailed: lock statements refused here (a pooler, a proxy) turn
// member locks off after a few, with the crash signal's warning.
func (c *Coordinator) memberLockFailed(err error) {
	m := &c.members
	m.failures++
	if m.failures >= lockErrorsBeforeOff {
		c.membersOff(err)
	}
}

func (c *Coordinator) membersOff(err error) {
	m := &c.members
	if !m.on {
		return
	}
	m.on = false
	m.standing.Store(true) // judged by its heartbeat alone, as the others are
	clear(m.gone)
	c.mu.Lock()
	c.goneMembers, c.lockedMembers = nil, nil
	c.mu.Unlock()
	c.crashOff(err)
}

// memberConnDropped: the connection holding the member lock broke.
func (c *Coordinator) memberConnDropped() {
	m := &c.members
	if !m.on || m.heldGen == 0 || m.file != nil {
		return
	}
	m.heldGen = 0
	m.lost = true
	m.standing.Store(false)
	c.log.Warn("lost the session of this member's lock: the others may take this member for gone and take back its files; cutting the work in hand")
	c.events.post(Event{Kind: LostSession, Holder: c.cfg.TaskID, At: c.now(), Reason: "member lock session ended"})
}

// memberLockDue takes the lock again if this member does not hold it
// on its connection; loop goroutine, before a check.
func (c *Coordinator) memberLockDue(ctx context.Context) {
	m := &c.members
	if !m.on {
		return
	}
	if m.file != nil {
		if m.heldGen == 0 && c.now().After(m.retryAt) {
			m.retryAt = c.now().Add(memberLockRetry)
			if ok, err := m.file.acquireAt(memberOffset(c.cfg.GroupID, c.cfg.TaskID)); err == nil && ok {
				m.heldGen = 1
				c.memberLockTaken()
			}
		}
		return
	}
	if m.heldGen == 0 && c.conn != nil && c.now().After(m.retryAt) {
		c.takeMemberLock(ctx, c.conn)
	}
}

// noteMembers reads the member locks of o's rows (held: from the observe
// statement; SQLite: the file locks) and records the members gone.
func (c *Coordinator) noteMembers(o observation) {
	m := &c.members
	if !m.on {
		return
	}
	rows := map[string]bool{}
	var fresh []string
	for _, r := range o.rows {
		rows[r.taskID] = true
		held := r.locked
		if m.file != nil {
			h, err := m.file.heldAt(memberOffset(c.cfg.GroupID, r.taskID))
			if err != nil {
				continue
			}
			held = h
		}
		if r.taskID == c.cfg.TaskID {
			if !held && m.heldGen != 0 && m.heldGen == m.gen && m.file == nil {
				// Our own lock is not seen on the connection that took it:
				// the server does not keep session locks here.
				c.membersOff(errLockNotKept)
				return
			}
			continue
		}
		switch g, ok := m.seen[r.taskID]; {
		case held:
			m.seen[r.taskID] = m.gen
			delete(m.gone, r.taskID)
		case ok && g == m.gen && !m.gone[r.taskID]:
			m.gone[r.taskID] = true
			fresh = append(fresh, r.taskID)
		}
	}
	for id := range m.seen {
		if !rows[id] {
			delete(m.seen, id)
			delete(m.gone, id)
		}
	}
	gone := make([]string, 0, len(m.gone))
	for id := range m.gone {
		gone = append(gone, id)
	}
	slices.Sort(gone)
	var seen []string
	for id, g := range m.seen {
		if g == m.gen && !m.gone[id] {
			seen = append(seen, id)
		}
	}
	slices.Sort(seen)
	c.mu.Lock()
	c.goneMembers, c.lockedMembers = gone, seen
	c.mu.Unlock()
	for _, id := range fresh {
		c.log.Info("a member's session ended: its files are taken back now", "member", id)
		c.events.post(Event{Kind: MemberGone, Holder: id, DBTime: o.dbNow, At: c.now()})
	}
}

// memberStanding reports whether this member holds its lock, or needs none.
func (c *Coordinator) memberStanding() bool {
	m := &c.members
	return m.standing.Load() && c.now().UnixNano() >= m.standingAt.Load()
}

type lockNotKept struct{}

func (lockNotKept) Error() string {
	return "this member's lock is not held on the connection that took it"
}

var errLockNotKept error = lockNotKept{}

// memberFile is a lock file session's side for member locks (SQLite).
type memberFile interface {
	acquireAt(offset int64) (bool, error)
	heldAt(offset int64) (bool, error) // by another open file
	close()
}

// memberOffset is the byte of the lock file that is a member's lock: apart
// from the terms' bytes (bit 62 set), by group and a 31-bit hash of the id.
func memberOffset(group, task string) int64 {
	h := fnv.New32a()
	h.Write([]byte(task))
	return 1<<62 | groupKey(group)<<31 | int64(h.Sum32()&0x7fffffff)
}

// LockedMembers returns the other members whose member lock this member's
// last check saw held (WithMemberLocks): those it takes for gone the moment
// their session ends.
func (c *Coordinator) LockedMembers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lockedMembers)
}
