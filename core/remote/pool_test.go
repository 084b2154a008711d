package remote

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetryWaits(t *testing.T) {
	r := DefaultRetryConfig
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, w := range want {
		if got := r.Wait(i + 1); got != w {
			t.Errorf("wait before retry %d = %v, want %v", i+1, got, w)
		}
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
		if err := p.Do(ctx, func(c Conn) error { return c.Alive(ctx) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d dials for 5 sequential uses, want 1", n)
	}
	// Size 2: a third Get waits until one comes back.
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := p.Get(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third Get on a full pool: %v, want to wait", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var got Conn
	go func() { defer wg.Done(); got, _ = p.Get(ctx) }()
	p.Put(a, nil)
	wg.Wait()
	if got != a {
		t.Fatal("the waiting Get did not receive the returned session")
	}
	p.Put(got, nil)
	p.Put(b, nil)
}

func TestPoolWarmOpensSessionsUpToSize(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 3})
	defer p.Close()
	ctx := context.Background()
	held, err := p.Get(ctx) // in use: counts as open
	if err != nil {
		t.Fatal(err)
	}
	p.Warm(ctx, 5) // Size 3: two more
	idle := func() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.idle) }
	deadline := time.Now().Add(10 * time.Second)
	for idle() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := idle(); n != 2 {
		t.Fatalf("%d idle sessions after Warm(5) with 1 of 3 in use, want 2", n)
	}
	p.Warm(ctx, 3) // already there: nothing to open
	var got []Conn
	for range 2 {
		c, err := p.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Alive(ctx); err != nil {
			t.Fatalf("a warmed session does not answer: %v", err)
		}
		got = append(got, c)
	}
	if n := dials.Load(); n != 3 {
		t.Fatalf("%d dials, want 3: the warmed sessions were not the ones handed out", n)
	}
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
	if _, err := p.Get(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get after failed warm dials: %v, want the dial's own error", err)
	}
}

func TestPoolDropsBrokenSessions(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 1})
	defer p.Close()
	ctx := context.Background()
	c, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Close() // the connection dies under the pool
	p.Put(c, errors.New("connection reset"))
	c2, err := p.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c2 == c || dials.Load() != 2 {
		t.Fatal("a dead session was handed out again")
	}
	if err := c2.Alive(ctx); err != nil {
		t.Fatal(err)
	}
	// A file-level error keeps the session without a check.
	p.Put(c2, &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist})
	if c3, _ := p.Get(ctx); c3 != c2 {
		t.Fatal("a healthy session was dropped after a not-found error")
	} else {
		p.Put(c3, nil)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	defer p.Put(c2, nil)
	if c2 == c || dials.Load() != 2 {
		t.Fatal("a session idle past IdleTimeout was reused")
	}
}

func TestPoolRetriesThenGivesUp(t *testing.T) {
	var attempts atomic.Int32
	unreachable := func(ctx context.Context) (Conn, error) {
		attempts.Add(1)
		return DialFTP(ctx, FTPConfig{Addr: "127.0.0.1:1"})
	}
	p := NewPool(unreachable, PoolConfig{Retry: RetryConfig{Count: 2, Interval: 0.01, BackOffFactor: 2, MaxWaitInterval: 1}})
	_, err := p.Get(context.Background())
	if err == nil || attempts.Load() != 3 || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err %v after %d attempts, want 3", err, attempts.Load())
	}

	// Refused credentials are not retried.
	attempts.Store(0)
	wrong := ftpServers(t)[0].cfg
	wrong.Password = "nope"
	p = NewPool(func(ctx context.Context) (Conn, error) { attempts.Add(1); return DialFTP(ctx, wrong) },
		PoolConfig{Retry: RetryConfig{Count: 5, Interval: 0.01}})
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrRefused) || attempts.Load() != 1 {
		t.Fatalf("refused login: %v after %d attempts, want ErrRefused after 1", err, attempts.Load())
	}
	// A closed pool says so.
	p.Close()
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrPoolClosed) {
		t.Fatalf("Get on a closed pool: %v", err)
	}
}

// A session whose context ended in the middle of a command is closed under
// the caller; even when the command itself had finished, the pool must not
// hand it out again.
func TestPoolDropsSessionsClosedByTheirContext(t *testing.T) {
	var dials atomic.Int32
	p := NewPool(pureDialer(t, &dials), PoolConfig{Size: 1})
	defer p.Close()
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.Alive(ctx) // closed by the guard
	p.Put(c, nil)
	c2, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Put(c2, nil)
	if c2 == c || c2.Alive(context.Background()) != nil {
		t.Fatal("a session closed by its context was reused")
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
