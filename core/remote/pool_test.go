package remote

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetryWaits(t *testing.T) {
	r := DefaultRetryConfig
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		assert.Equal(t, w, r.Wait(i+1), "wait before retry %d", i+1)
	}
}

// pureDialer dials the real pure-ftpd and counts the attempts.
func pureDialer(t *testing.T, attempts *atomic.Int32) Dialer {
	cfg := ftpServers(t)[0].cfg
	return func(ctx context.Context) (Conn, error) {
		attempts.Add(1)
		return DialFTP(ctx, cfg)
	}
}

func TestPoolReusesAndBounds(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 2})
	defer p.Close()
	ctx := context.Background()
	for range 5 {
		require.NoError(t, p.Do(ctx, func(c Conn) error { return c.Alive(ctx) }))
	}
	require.EqualValues(t, 1, dials.Load(), "dials for 5 sequential uses")
	// Size 2: a third Get waits until one comes back.
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := p.Get(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "third Get on a full pool: want to wait")
	var wg sync.WaitGroup
	wg.Add(1)
	var got Conn
	go func() { defer wg.Done(); got, _ = p.Get(ctx) }()
	p.Put(a, nil)
	wg.Wait()
	require.Same(t, a, got, "the waiting Get did not receive the returned session")
	p.Put(got, nil)
	p.Put(b, nil)
}

func TestPoolWarmOpensSessionsUpToSize(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 3})
	defer p.Close()
	ctx := context.Background()
	held, err := p.Get(ctx) // in use: counts as open
	require.NoError(t, err)
	p.Warm(ctx, 5) // Size 3: two more
	idle := func() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.idle) }
	deadline := time.Now().Add(10 * time.Second)
	for idle() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	require.Equal(t, 2, idle(), "idle sessions after Warm(5) with 1 of 3 in use")
	p.Warm(ctx, 3) // already there: nothing to open
	var got []Conn
	for range 2 {
		c, err := p.Get(ctx)
		require.NoError(t, err)
		require.NoError(t, c.Alive(ctx), "a warmed session does not answer")
		got = append(got, c)
	}
	require.EqualValues(t, 3, dials.Load(), "dials: the warmed sessions were not the ones handed out")
	for _, c := range append(got, held) {
		p.Put(c, nil)
	}
}

func TestPoolWarmDropsAFailedDial(t *testing.T) {
	var attempts atomic.Int32
	unreachable := func(ctx context.Context) (Conn, error) {
		attempts.Add(1)
		return nil, errors.New("connection refused")
	}
	p := NewPool(unreachable, PoolConfig{Size: 2, Retry: RetryConfig{Count: 0, Interval: 0.001}})
	defer p.Close()
	p.Warm(context.Background(), 2)
	deadline := time.Now().Add(10 * time.Second)
	for attempts.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// The failed dials gave their slots back: a Get may still try (and
	// report the failure itself) instead of waiting forever.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.Get(ctx)
	require.Error(t, err, "Get after failed warm dials")
	require.NotErrorIs(t, err, context.DeadlineExceeded, "Get after failed warm dials: want the dial's own error")
}

func TestPoolDropsBrokenSessions(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 1})
	defer p.Close()
	ctx := context.Background()
	c, err := p.Get(ctx)
	require.NoError(t, err)
	c.Close() // the connection dies under the pool
	p.Put(c, errors.New("connection reset"))
	c2, err := p.Get(ctx)
	require.NoError(t, err)
	require.NotSame(t, c, c2, "a dead session was handed out again")
	require.EqualValues(t, 2, dials.Load(), "a dead session was handed out again")
	require.NoError(t, c2.Alive(ctx))
	// A file-level error keeps the session without a check.
	p.Put(c2, &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist})
	c3, _ := p.Get(ctx)
	require.Same(t, c2, c3, "a healthy session was dropped after a not-found error")
	p.Put(c3, nil)
}

func TestPoolClosesIdleSessions(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 1, IdleTimeout: time.Minute})
	defer p.Close()
	now := time.Now()
	p.now = func() time.Time { return now }
	ctx := context.Background()
	c, _ := p.Get(ctx)
	p.Put(c, nil)
	now = now.Add(2 * time.Minute)
	c2, err := p.Get(ctx)
	require.NoError(t, err)
	defer p.Put(c2, nil)
	require.NotSame(t, c, c2, "a session idle past IdleTimeout was reused")
	require.EqualValues(t, 2, dials.Load(), "a session idle past IdleTimeout was reused")
}

func TestPoolRetriesThenGivesUp(t *testing.T) {
	var attempts atomic.Int32
	unreachable := func(ctx context.Context) (Conn, error) {
		attempts.Add(1)
		return DialFTP(ctx, FTPConfig{Addr: "127.0.0.1:1"})
	}
	p := NewPool(unreachable, PoolConfig{Retry: RetryConfig{Count: 2, Interval: 0.01, BackOffFactor: 2, MaxWaitInterval: 1}})
	_, err := p.Get(context.Background())
	require.ErrorContains(t, err, "after 3 attempts")
	require.EqualValues(t, 3, attempts.Load(), "attempts")

	// Refused credentials are not retried.
	attempts.Store(0)
	wrong := ftpServers(t)[0].cfg
	wrong.Password = "nope"
	p = NewPool(func(ctx context.Context) (Conn, error) { attempts.Add(1); return DialFTP(ctx, wrong) },
		PoolConfig{Retry: RetryConfig{Count: 5, Interval: 0.01}})
	_, err = p.Get(context.Background())
	require.ErrorIs(t, err, ErrRefused, "refused login")
	require.EqualValues(t, 1, attempts.Load(), "refused login: attempts, want ErrRefused after 1")
	// A closed pool says so.
	p.Close()
	_, err = p.Get(context.Background())
	require.ErrorIs(t, err, ErrPoolClosed, "Get on a closed pool")
}

// A session whose context ended in the middle of a command is closed under
// the caller; even when the command itself had finished, the pool must not
// hand it out again.
func TestPoolDropsSessionsClosedByTheirContext(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 1})
	defer p.Close()
	c, err := p.Get(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Alive(ctx) // closed by the guard
	p.Put(c, nil)
	c2, err := p.Get(context.Background())
	require.NoError(t, err)
	defer p.Put(c2, nil)
	require.NotSame(t, c, c2, "a session closed by its context was reused")
	require.NoError(t, c2.Alive(context.Background()), "a session closed by its context was reused")
	require.NoError(t, p.Close(), "Close")
}
