package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sync"
	"time"
)

// ErrRefused marks failures that retrying cannot mend: credentials refused,
// a server identity (host key, certificate) we refuse, a bad configuration.
var ErrRefused = errors.New("refused")

// refused wraps err so that errors.Is(err, ErrRefused) holds.
func refused(err error) error { return fmt.Errorf("%w (%w)", err, ErrRefused) }

// RetryConfig is ballerina/ftp's retryConfig: how connecting is retried.
// Intervals are seconds, as in Ballerina.
type RetryConfig struct {
	Count           int     `json:"count"`           // retries after the first attempt; default 3
	Interval        float64 `json:"interval"`        // first wait; default 1.0
	BackOffFactor   float64 `json:"backOffFactor"`   // each wait is the previous times this; default 2.0
	MaxWaitInterval float64 `json:"maxWaitInterval"` // cap of one wait; default 30.0
}

// DefaultRetryConfig is Ballerina's default.
var DefaultRetryConfig = RetryConfig{Count: 3, Interval: 1.0, BackOffFactor: 2.0, MaxWaitInterval: 30.0}

// Wait returns the wait before retry n (1-based).
func (r RetryConfig) Wait(n int) time.Duration {
	w := r.Interval * math.Pow(r.BackOffFactor, float64(n-1))
	if r.MaxWaitInterval > 0 && w > r.MaxWaitInterval {
		w = r.MaxWaitInterval
	}
	return time.Duration(w * float64(time.Second))
}

// Dialer opens one session.
type Dialer func(ctx context.Context) (Conn, error)

// PoolConfig bounds a Pool.
type PoolConfig struct {
	Size        int           // sessions open at most; default 4
	IdleTimeout time.Duration // an idle session older than this is closed; default 60 s
	Retry       RetryConfig   // zero value: DefaultRetryConfig
}

// Pool shares a few sessions: an FTP control connection carries one
// transfer at a time, so concurrent work needs several. Sessions are checked
// when they come back after an error, and idle ones are closed after a while.
type Pool struct {
	dial Dialer
	cfg  PoolConfig
	now  func() time.Time

	slots  chan struct{} // one token per session that may be open
	mu     sync.Mutex
	idle   []idleConn
	closed bool
}

type idleConn struct {
	c     Conn
	since time.Time
}

// NewPool returns a pool that opens sessions with dial.
func NewPool(dial Dialer, cfg PoolConfig) *Pool {
	if cfg.Size <= 0 {
		cfg.Size = 4
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = time.Minute
	}
	if cfg.Retry == (RetryConfig{}) {
		cfg.Retry = DefaultRetryConfig
	}
	return &Pool{dial: dial, cfg: cfg, now: time.Now, slots: make(chan struct{}, cfg.Size)}
}

// ErrPoolClosed is returned by a closed pool.
var ErrPoolClosed = errors.New("remote: connection pool closed")

// Get returns an idle session or opens one, waiting while Size are in use.
// Give it back with Put.
func (p *Pool) Get(ctx context.Context) (Conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			<-p.slots
			return nil, ErrPoolClosed
		}
		n := len(p.idle)
		if n == 0 {
			p.mu.Unlock()
			break
		}
		ic := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		if p.now().Sub(ic.since) > p.cfg.IdleTimeout {
			ic.c.Close()
			continue
		}
		return ic.c, nil
	}
	c, err := p.dialWithRetry(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return c, nil
}

func (p *Pool) dialWithRetry(ctx context.Context) (Conn, error) {
	var last error
	for attempt := 0; ; attempt++ {
		c, err := p.dial(ctx)
		if err == nil {
			return c, nil
		}
		last = err
		if errors.Is(err, ErrRefused) || ctx.Err() != nil || attempt >= p.cfg.Retry.Count {
			break
		}
		t := time.NewTimer(p.cfg.Retry.Wait(attempt + 1))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (last attempt: %w)", ctx.Err(), last)
		}
	}
	if errors.Is(last, ErrRefused) {
		return nil, last
	}
	return nil, fmt.Errorf("%w (after %d attempts)", last, p.cfg.Retry.Count+1)
}

// Put gives a session back. opErr is the outcome of the last operation on it:
// after a file-level failure (not found, permission) it is reused at once;
// after any other error it is reused only if it still answers.
func (p *Pool) Put(c Conn, opErr error) {
	defer func() { <-p.slots }()
	if b, ok := c.(interface{ Broken() bool }); ok && b.Broken() {
		c.Close()
		return
	}
	if opErr != nil && !errors.Is(opErr, fs.ErrNotExist) && !errors.Is(opErr, fs.ErrPermission) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := c.Alive(ctx)
		cancel()
		if err != nil {
			c.Close()
			return
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return
	}
	p.idle = append(p.idle, idleConn{c: c, since: p.now()})
}

// Warm opens sessions in the background until n are open (idle or in use),
// as far as Size allows: work about to start finds them ready instead of
// each worker waiting for its own connection and login. A failed dial is
// dropped; the Get that needs the session dials again, with retries, and
// reports the failure. Warm does not wait.
func (p *Pool) Warm(ctx context.Context, n int) {
	p.mu.Lock()
	missing := min(n, p.cfg.Size) - len(p.idle) - len(p.slots)
	if p.closed {
		missing = 0
	}
	p.mu.Unlock()
	for range missing {
		select {
		case p.slots <- struct{}{}:
		default:
			return // all in use or being opened
		}
		go func() {
			c, err := p.dial(ctx)
			if err != nil {
				<-p.slots
				return
			}
			p.Put(c, nil)
		}()
	}
}

// Do runs f on a pooled session.
func (p *Pool) Do(ctx context.Context, f func(Conn) error) error {
	c, err := p.Get(ctx)
	if err != nil {
		return err
	}
	err = f(c)
	p.Put(c, err)
	return err
}

// Close closes the idle sessions; sessions in use are closed when put back.
// A session that fails to close cleanly (its server already gone) is no
// error of the caller's: it is closed all the same.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, ic := range p.idle {
		ic.c.Close()
	}
	p.idle = nil
	return nil
}

// UnmarshalJSON fills the fields left out with Ballerina's defaults, as
// Ballerina's record does, rather than with 0.
func (r *RetryConfig) UnmarshalJSON(b []byte) error {
	type plain RetryConfig // without this method
	p := plain(DefaultRetryConfig)
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = RetryConfig(p)
	return nil
}
