package listener

// Tracing: an OpenTelemetry span per poll (with its listing and claims) and
// per file (its transfer, handler, commit and after-action), when the host
// gives the listener a TracerProvider (WithTracerProvider). Off by default:
// every helper below then returns at its first test, allocating nothing.
//
// The listener calls these helpers at a few marked call sites ("tracing:"
// comments in listener.go, process.go, handlers.go and tracker.go); the
// spans themselves are made here only.

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// TracerName is the instrumentation scope of the listener's spans.
const TracerName = "github.com/ftpcoord/ftpcoord/core/listener"

// The spans, and their attributes (docs/metrics.md#tracing).
const (
	SpanPoll     = "ftpcoord.poll"
	SpanListing  = "ftpcoord.listing"
	SpanClaim    = "ftpcoord.claim"
	SpanFile     = "ftpcoord.file"
	SpanTransfer = "ftpcoord.transfer"
	SpanHandler  = "ftpcoord.handler"
	SpanCommit   = "ftpcoord.commit"
	SpanAfter    = "ftpcoord.after_action"

	AttrMember  = "ftpcoord.member"       // the member's id ("" without coordination)
	AttrTerm    = "ftpcoord.term"         // the fencing term the work is done under (0 in shared mode)
	AttrPath    = "ftpcoord.file.path"    // the file's path on the server
	AttrVersion = "ftpcoord.file.version" // the version's key (the handler's idempotency key)
	AttrSize    = "ftpcoord.file.size"    // the listed size, bytes
	AttrAttempt = "ftpcoord.file.attempt" // 1 for the first attempt
	AttrFiles   = "ftpcoord.files"        // files a claim took
	AttrAction  = "ftpcoord.action"       // afterProcess or afterError
)

// WithTracerProvider turns tracing on: the listener's spans go to tp's
// tracer. Without it (or with nil) there is no tracing and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(x *Listener) {
		if tp != nil {
			x.tracing = &tracing{tracer: tp.Tracer(TracerName)}
		}
	}
}

// tracing is the listener's tracer, and the files whose commit and
// after-action are still to come (the commit loop runs apart from the
// file's own goroutine), by version key.
type tracing struct {
	tracer trace.Tracer
	mu     sync.Mutex
	files  map[string]trace.SpanContext
}

// maxTracedFiles bounds the versions kept for their commit's span: far
// more than the files of the batches in flight.
const maxTracedFiles = 100_000

// endSpan ends a span with the outcome of its work.
type endSpan func(error)

func noEnd(error) {}

func end(s trace.Span) endSpan {
	return func(err error) {
		if err != nil {
			s.RecordError(err)
			s.SetStatus(codes.Error, err.Error())
		}
		s.End()
	}
}

func (l *Listener) memberID() string {
	if c := l.cfg.Coordination; c != nil {
		return c.MemberID
	}
	return ""
}

// tracePoll starts a poll's span.
func (l *Listener) tracePoll(ctx context.Context) (context.Context, endSpan) {
	t := l.tracing
	if t == nil {
		return ctx, noEnd
	}
	term := int64(0)
	if coord := l.Coordinator(); coord != nil {
		term, _ = coord.FencingToken()
	}
	ctx, s := t.tracer.Start(ctx, SpanPoll, trace.WithAttributes(attribute.String(AttrMember, l.memberID()), attribute.Int64(AttrTerm, term)))
	return ctx, end(s)
}

// traceStep starts the span of a step of a poll (listing).
func (l *Listener) traceStep(ctx context.Context, name string) (context.Context, endSpan) {
	t := l.tracing
	if t == nil {
		return ctx, noEnd
	}
	ctx, s := t.tracer.Start(ctx, name)
	return ctx, end(s)
}

// traceClaim starts the span of a claim under term; its end takes the
// claims made.
func (l *Listener) traceClaim(ctx context.Context, term int64) (context.Context, func([]ledger.Claim, error)) {
	t := l.tracing
	if t == nil {
		return ctx, noClaimEnd
	}
	ctx, s := t.tracer.Start(ctx, SpanClaim, trace.WithAttributes(attribute.String(AttrMember, l.memberID()), attribute.Int64(AttrTerm, term)))
	return ctx, func(claims []ledger.Claim, err error) {
		s.SetAttributes(attribute.Int(AttrFiles, len(claims)))
		end(s)(err)
	}
}

func noClaimEnd([]ledger.Claim, error) {}

// traceFile starts the span of an attempt at a file. A claimed version's
// span is kept, from the start (the commit loop may commit it before the
// attempt's goroutine returns), as the parent of its commit and
// after-action; its end drops it unless the version went to be committed
// (ok).
func (l *Listener) traceFile(ctx context.Context, w fileWork) (context.Context, func(ok bool, err error)) {
	t := l.tracing
	if t == nil {
		return ctx, noFileEnd
	}
	f := w.info
	ctx, s := t.tracer.Start(ctx, SpanFile, trace.WithAttributes(
		attribute.String(AttrPath, f.Path), attribute.String(AttrVersion, f.IdempotencyKey), attribute.Int64(AttrSize, f.Size),
		attribute.Int(AttrAttempt, max(f.Attempt, 1)), attribute.String(AttrMember, l.memberID()), attribute.Int64(AttrTerm, w.claim.Term)))
	key := w.claim.Key
	if key != "" {
		t.mu.Lock()
		if t.files == nil || len(t.files) >= maxTracedFiles {
			// Versions given back uncommitted (a stop, a lost term) are
			// never looked up again: start afresh rather than grow.
			t.files = map[string]trace.SpanContext{}
		}
		t.files[key] = s.SpanContext()
		t.mu.Unlock()
	}
	return ctx, func(ok bool, err error) {
		if !ok && key != "" {
			t.mu.Lock()
			delete(t.files, key)
			t.mu.Unlock()
		}
		end(s)(err)
	}
}

func noFileEnd(bool, error) {}

// fileContext is ctx with the span of the attempt at the version key as
// its parent (the commit loop's ctx has the poll's); forget drops the
// version once nothing more is to come for it.
func (t *tracing) fileContext(ctx context.Context, key string, forget bool) context.Context {
	t.mu.Lock()
	sc, ok := t.files[key]
	if forget {
		delete(t.files, key)
	}
	t.mu.Unlock()
	if !ok {
		return ctx
	}
	return trace.ContextWithSpanContext(ctx, sc)
}

// transferKey holds, in a file's context, the span of its transfer, which
// the handler's start ends.
type transferKey struct{}

// traceTransfer starts the span of a file's transfer: until its content is
// handed to the handler (a streamed file larger than the prefetch limit
// flows on during the handler's span), or the transfer fails. The handler's
// span is its sibling, so ctx keeps the file's span as the parent.
func (l *Listener) traceTransfer(ctx context.Context) (context.Context, endSpan) {
	t := l.tracing
	if t == nil {
		return ctx, noEnd
	}
	_, s := t.tracer.Start(ctx, SpanTransfer)
	return context.WithValue(ctx, transferKey{}, s), end(s)
}

// traceHandler starts the span of a handler's run; it ends the transfer's
// span first (ending a span twice does nothing).
func (l *Listener) traceHandler(ctx context.Context) (context.Context, endSpan) {
	t := l.tracing
	if t == nil {
		return ctx, noEnd
	}
	if s, ok := ctx.Value(transferKey{}).(trace.Span); ok {
		s.End()
	}
	ctx, s := t.tracer.Start(ctx, SpanHandler)
	return ctx, end(s)
}

// traceCommits records the commit of each claim in one batch statement
// that began at start: a span per file, a child of the file's own, over the
// statement's time; lost claims and a failed statement end in an error.
func (l *Listener) traceCommits(ctx context.Context, claims, lost []ledger.Claim, start time.Time, err error) {
	t := l.tracing
	if t == nil {
		return
	}
	now := time.Now()
	gone := make(map[string]bool, len(lost))
	for _, c := range lost {
		gone[c.Key] = true
	}
	for _, c := range claims {
		failed := err
		if err == nil && gone[c.Key] {
			failed = ledger.ErrLost
		}
		fctx := t.fileContext(ctx, c.Key, failed != nil) // committed: its after-action follows
		_, s := t.tracer.Start(fctx, SpanCommit, trace.WithTimestamp(start), trace.WithAttributes(
			attribute.String(AttrVersion, c.Key), attribute.String(AttrMember, l.memberID()), attribute.Int64(AttrTerm, c.Term), attribute.Int(AttrFiles, len(claims))))
		if failed != nil {
			s.RecordError(failed)
			s.SetStatus(codes.Error, failed.Error())
		}
		s.End(trace.WithTimestamp(now))
	}
}

// traceAfter starts the span of an after-action on a file; in the commit
// loop, as a child of the file's span.
func (l *Listener) traceAfter(ctx context.Context, action string, f FileInfo) (context.Context, endSpan) {
	t := l.tracing
	if t == nil {
		return ctx, noEnd
	}
	if f.IdempotencyKey != "" {
		ctx = t.fileContext(ctx, f.IdempotencyKey, true)
	}
	ctx, s := t.tracer.Start(ctx, SpanAfter, trace.WithAttributes(attribute.String(AttrAction, action), attribute.String(AttrPath, f.Path)))
	return ctx, end(s)
}

// TraceParent is the W3C traceparent of the span in ctx (the handler's, in
// a service method), "" when there is none (tracing is off): for a handler
// that passes the trace on (the command gives it to an --exec command as
// TRACEPARENT; Java hosts get it in the file event).
func TraceParent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	return c["traceparent"]
}
