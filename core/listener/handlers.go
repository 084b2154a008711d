package listener

// Calls into the user's service. A handler that panics is recovered and
// counts as a failed attempt (retried, rejected after maxTries with the
// ledger), so one bad file cannot take the member down with it, nor make it
// crash again on every restart.

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
)

// PanicError is a service method that panicked.
type PanicError struct {
	// Method is onFile, onFileChange, onFileDelete or onError; deliver for
	// the transfer around onFile, poll for the poll itself.
	Method string
	Value  any // what it panicked with
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("listener: %s panicked: %v", e.Method, e.Value)
}

// recovered turns a panic of a service method into a *PanicError in *err,
// and logs the stack.
func (l *Listener) recovered(method string, err *error) {
	if v := recover(); v != nil {
		l.log.Error("listener: a service method panicked; recovered, and handled as its error", "method", method, "panic", v, "stack", string(debug.Stack()))
		*err = &PanicError{Method: method, Value: v}
	}
}

// survive, deferred, keeps a panic of the listener's own goroutines (a
// worker past its file's attempt) from taking the process down: it is
// logged with its stack and the goroutine goes on with its next item.
func (l *Listener) survive(what string) {
	if v := recover(); v != nil {
		l.logPanic(what, v)
	}
}

func (l *Listener) logPanic(what string, v any) {
	l.log.Error("listener: a panic in the listener's own work; recovered, the member goes on", "in", what, "panic", v, "stack", string(debug.Stack()))
}

func (l *Listener) callOnFile(ctx context.Context, s FileService, f FileInfo, r io.Reader) (err error) {
	ctx, endHandler := l.traceHandler(ctx) // tracing: the handler's span
	defer func() { endHandler(err) }()
	defer l.recovered("onFile", &err)
	return s.OnFile(ctx, f, r, l.caller)
}

func (l *Listener) callOnFileChange(ctx context.Context, s FileChangeService, ev WatchEvent) (err error) {
	defer l.recovered("onFileChange", &err)
	return s.OnFileChange(ctx, ev, l.caller)
}

func (l *Listener) callOnFileDelete(ctx context.Context, s FileDeleteService, p string) (err error) {
	defer l.recovered("onFileDelete", &err)
	return s.OnFileDelete(ctx, p, l.caller)
}

// callOnError bounds OnError as any handler (see attempt): one that
// hangs must not hold the poll that reports.
func (l *Listener) callOnError(ctx context.Context, s ErrorService, e error) {
	l.attempt(ctx, "onError", func(actx context.Context) (err error) {
		defer l.recovered("onError", &err)
		s.OnError(actx, e)
		return nil
	})
}
