package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// A bridge is one listener driven from C: the Go service it attaches turns
// every callback into an event in a queue that the host pulls with poll, and
// a file or change event waits for the host's ack before the listener commits
// it (at-least-once delivery to the host; the ledger fences the commit).

// serviceSpec is the JSON the host attaches: which events it wants.
type serviceSpec struct {
	OnFileChange bool `json:"onFileChange"`
	OnFile       bool `json:"onFile"`
	OnFileDelete bool `json:"onFileDelete"`
	OnError      bool `json:"onError"`
}

// event is what poll returns, as JSON.
type event struct {
	ID    int64                `json:"id"`
	Kind  string               `json:"kind"` // "file", "fileChange", "fileDelete", "error"
	File  *fileEvent           `json:"file,omitempty"`
	Event *listener.WatchEvent `json:"event,omitempty"`
	Path  string               `json:"path,omitempty"`
	Error string               `json:"error,omitempty"`
	// Service names the configured service the event is for, when the
	// configuration has services ("" for the one without a name).
	Service string `json:"service,omitempty"`
	// NeedsAck: the listener waits for ftpcoord_event_ack before it commits.
	NeedsAck bool `json:"needsAck"`
}

// fileEvent is a file's FileInfo and, with tracing on, the W3C trace
// context of its handler span, for a host that traces on (Java's
// FileInfo.traceparent, the Spring header traceparent).
type fileEvent struct {
	listener.FileInfo
	TraceParent string `json:"traceparent,omitempty"`
}

// pending is an event the listener waits on.
type pending struct {
	content io.Reader          // for "file" events: read with ftpcoord_event_read
	file    *listener.FileInfo // for "file" events
	done    chan error
}

type bridge struct {
	l        *listener.Listener
	spec     serviceSpec
	queue    chan event
	mu       sync.Mutex
	nextID   int64
	waiting  map[int64]*pending
	methods  methodsTold
	closed   chan struct{}
	stopOnce sync.Once
	started  bool
	// tracing: the TracerProvider of OpenTelemetry's environment
	// (internal/otelenv), nil when off; shut down at the stop.
	tracing *sdktrace.TracerProvider
}

func newBridge(l *listener.Listener) *bridge {
	return &bridge{l: l, queue: make(chan event, 1024), waiting: map[int64]*pending{}, closed: make(chan struct{})}
}

// shutdownTracing sends the spans the tracer holds (for up to 5 s).
func (b *bridge) shutdownTracing() {
	if b.tracing == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.tracing.Shutdown(ctx)
}

// errClosed is returned to callbacks still waiting when the listener stops.
// errClosed gives the file back (listener.ErrAbandoned): a host that stops
// with events unacknowledged did not fail them, so with the ledger they are
// released for another member at once, their tries uncounted.
var errClosed = fmt.Errorf("ftpcoord: the listener was stopped before the host acknowledged the event: %w", listener.ErrAbandoned)

// push queues an event and, when it needs an ack, waits for it.
func (b *bridge) push(ctx context.Context, ev event, content io.Reader) error {
	b.mu.Lock()
	b.nextID++
	ev.ID = b.nextID
	var p *pending
	if ev.NeedsAck {
		p = &pending{content: content, done: make(chan error, 1)}
		if ev.File != nil {
			p.file = &ev.File.FileInfo
		}
		b.waiting[ev.ID] = p
	}
	b.mu.Unlock()
	select {
	case b.queue <- ev:
	case <-b.closed:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	if p == nil {
		return nil
	}
	defer func() {
		b.mu.Lock()
		delete(b.waiting, ev.ID)
		b.mu.Unlock()
	}()
	select {
	case err := <-p.done:
		return err
	case <-b.closed:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns the next event, waiting up to timeout (negative: forever).
func (b *bridge) next(timeout time.Duration) (event, bool, error) {
	var after <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		after = t.C
	}
	select {
	case ev := <-b.queue:
		return ev, true, nil
	case <-b.closed:
		return event{}, false, errHandleClosed
	case <-after:
		return event{}, false, nil
	}
}

// drain returns the events queued now, without waiting.
func (b *bridge) drain() []event {
	var out []event
	for {
		select {
		case ev := <-b.queue:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func (b *bridge) pendingEvent(id int64) (*pending, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.waiting[id]
	if p == nil {
		return nil, fmt.Errorf("event %d is not waiting for the host (already acknowledged, or it needs no ack)", id)
	}
	return p, nil
}

// ackError is what the listener gets for an outcome: nil (processed), a
// failed attempt, or a rejection (listener.ErrReject: REJECTED at once).
func ackError(outcome int, message string) error {
	switch outcome {
	case ackProcessed:
		return nil
	case ackReject:
		if message == "" {
			message = "the host rejected the file"
		}
		return fmt.Errorf("%s: %w", message, listener.ErrReject)
	}
	if message == "" {
		message = "the host reported a failure"
	}
	return errors.New(message)
}

func (b *bridge) ack(id int64, outcome int, message string) error {
	p, err := b.pendingEvent(id)
	if err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.waiting, id)
	b.mu.Unlock()
	p.done <- ackError(outcome, message)
	return nil
}

func (b *bridge) close() {
	b.stopOnce.Do(func() { close(b.closed) })
}

// The Go service: each callback the host asked for becomes an event, told
// the service it is for (with several services; see attach).

// tagged pushes the events of one configured service ("" for the one
// without a name).
type tagged struct {
	b       *bridge
	service string
}

func (t tagged) push(ctx context.Context, ev event, r io.Reader) error {
	ev.Service = t.service
	return t.b.push(ctx, ev, r)
}

// service returns a value implementing exactly the callbacks in spec, so
// that the listener behaves as it would for a Go service with those
// methods (for instance, OnFileChange alone gets whole batches).
func (b *bridge) service(name string) any {
	s, t := b.spec, tagged{b, name}
	switch {
	case s.OnFile && s.OnFileChange:
		return struct {
			fileChange
			file
			deleteAndError
		}{fileChange{t}, file{t}, deleteAndError{t}}
	case s.OnFile:
		return struct {
			file
			deleteAndError
		}{file{t}, deleteAndError{t}}
	case s.OnFileChange:
		return struct {
			fileChange
			deleteAndError
		}{fileChange{t}, deleteAndError{t}}
	}
	return deleteAndError{t}
}

// attach attaches the host's service to the listener's one service, or to
// each of its services, whose events then name it (event.service).
func (b *bridge) attach() error {
	cfg := b.l.Config()
	if len(cfg.Services) == 0 {
		return b.l.Attach(b.service(""))
	}
	for _, s := range cfg.Services {
		if err := b.l.AttachService(s.Name, b.service(s.Name)); err != nil {
			return err
		}
	}
	return nil
}

type fileChange struct{ tagged }

func (f fileChange) OnFileChange(ctx context.Context, ev listener.WatchEvent, _ *listener.Caller) error {
	return f.push(ctx, event{Kind: "fileChange", Event: &ev, NeedsAck: true}, nil)
}

type file struct{ tagged }

// MethodFor is the method the host said took f (ftpcoord_event_method),
// for its after-actions; onFile when it said none.
func (f file) MethodFor(fi listener.FileInfo) string { return f.b.methods.take(fi) }

func (f file) OnFile(ctx context.Context, fi listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	return f.push(ctx, event{Kind: "file", File: &fileEvent{FileInfo: fi, TraceParent: listener.TraceParent(ctx)}, NeedsAck: true}, r)
}

// deleteAndError forwards deletions and errors only when asked for.
type deleteAndError struct{ tagged }

func (d deleteAndError) OnFileDelete(ctx context.Context, p string, _ *listener.Caller) error {
	if !d.b.spec.OnFileDelete {
		return nil
	}
	return d.push(ctx, event{Kind: "fileDelete", Path: p}, nil)
}

func (d deleteAndError) OnError(ctx context.Context, err error) {
	if d.b.spec.OnError {
		d.push(ctx, event{Kind: "error", Error: err.Error()}, nil)
	}
}

func decodeSpec(raw string) (serviceSpec, error) {
	var s serviceSpec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return s, fmt.Errorf("service: %w (want {\"onFile\": true, \"onFileChange\": false, \"onFileDelete\": true, \"onError\": true})", err)
	}
	if !s.OnFile && !s.OnFileChange && !s.OnFileDelete && !s.OnError {
		return s, errors.New("service: asks for no event: set at least one of onFile, onFileChange, onFileDelete, onError")
	}
	return s, nil
}
