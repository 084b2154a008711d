// Package main is ftpcoord's C ABI (libftpcoord.so, ftpcoord.h): a thin
// layer of exported functions over core/listener. Objects are integer
// handles; strings cross as NUL-terminated UTF-8 and those the library
// returns are freed with ftpcoord_free; every function recovers panics and
// returns a status code; errors are read with ftpcoord_last_error. The
// library installs no signal handlers of its own.
package main

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define FTPCOORD_CONSTANTS_ONLY
#include "ftpcoord.h"

// The last error is per calling thread, as errno is: an exported function
// runs on the thread of the C caller that called it, so two host threads
// (two listeners in one JVM, say) never read each other's message.
static __thread char *ftpcoord_thread_err;
static void ftpcoord_set_thread_err(char *msg) {
	free(ftpcoord_thread_err);
	ftpcoord_thread_err = msg;
}
static char *ftpcoord_copy_thread_err(void) {
	return ftpcoord_thread_err ? strdup(ftpcoord_thread_err) : NULL;
}
*/
import "C"

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/otelenv"
)

// Status codes: ftpcoord.h's, the one place they are written.
const (
	codeOK            = C.FTPCOORD_OK
	codeTimeout       = C.FTPCOORD_TIMEOUT
	codeInvalidArg    = C.FTPCOORD_INVALID_ARG
	codeInvalidHandle = C.FTPCOORD_INVALID_HANDLE
	codeError         = C.FTPCOORD_ERROR
	codeClosed        = C.FTPCOORD_CLOSED
	codePanic         = C.FTPCOORD_PANIC
)

// The outcomes of ftpcoord_event_ack, from ftpcoord.h. Any other value is a
// failed attempt, as every non-zero one was before reject existed.
const (
	ackProcessed = C.FTPCOORD_ACK_PROCESSED
	ackFailed    = C.FTPCOORD_ACK_FAILED
	ackReject    = C.FTPCOORD_ACK_REJECT
)

var errHandleClosed = errors.New("ftpcoord: the handle is closed")

var (
	handlesMu sync.Mutex
	handles   = map[int64]*bridge{}
	nextID    int64

	version = C.CString("ftpcoord " + moduleVersion())
)

func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func setErr(err error) {
	if err == nil {
		C.ftpcoord_set_thread_err(nil)
		return
	}
	C.ftpcoord_set_thread_err(C.CString(err.Error()))
}

// guard turns a panic into codePanic and a message.
func guard(rc *C.int) {
	if r := recover(); r != nil {
		setErr(fmt.Errorf("ftpcoord: internal error (a bug; please report it): %v", r))
		*rc = codePanic
	}
}

func lookup(h C.int64_t) (*bridge, C.int) {
	handlesMu.Lock()
	defer handlesMu.Unlock()
	b := handles[int64(h)]
	if b == nil {
		setErr(fmt.Errorf("ftpcoord: handle %d is not open (never made, or already stopped)", int64(h)))
		return nil, codeInvalidHandle
	}
	return b, codeOK
}

func fail(err error, code C.int) C.int {
	setErr(err)
	return code
}

// ftpcoord_version returns the library's version; a static string, not to be freed.
//
//export ftpcoord_version
func ftpcoord_version() *C.char { return version }

// ftpcoord_last_error returns the message of the last failed call, or NULL.
// The caller frees it with ftpcoord_free.
//
//export ftpcoord_last_error
func ftpcoord_last_error() *C.char {
	return C.ftpcoord_copy_thread_err()
}

// ftpcoord_free frees a string the library returned.
//
//export ftpcoord_free
func ftpcoord_free(p unsafe.Pointer) { C.free(p) }

// ftpcoord_listener_new makes a listener from its JSON configuration and
// returns its handle, or 0 (see ftpcoord_last_error, which names the field).
//
//export ftpcoord_listener_new
func ftpcoord_listener_new(config *C.char) (h C.int64_t) {
	defer func() {
		if r := recover(); r != nil {
			setErr(fmt.Errorf("ftpcoord: internal error: %v", r))
			h = 0
		}
	}()
	if config == nil {
		setErr(errors.New("ftpcoord_listener_new: config is NULL"))
		return 0
	}
	cfg, err := listener.DecodeConfig([]byte(C.GoString(config)))
	if err != nil {
		setErr(err)
		return 0
	}
	b := newBridge(nil)
	var opts []listener.Option
	memberID := ""
	if cfg.Coordination != nil {
		memberID = cfg.Coordination.MemberID
	}
	tp, err := otelenv.Env(os.Getenv).TracerProvider(context.Background(), "", memberID)
	if err != nil {
		setErr(err)
		return 0
	}
	if tp != nil {
		b.tracing = tp
		opts = append(opts, listener.WithTracerProvider(tp))
	}
	l, err := listener.New(cfg, opts...)
	if err != nil {
		b.shutdownTracing()
		setErr(err)
		return 0
	}
	b.l = l
	handlesMu.Lock()
	nextID++
	id := nextID
	handles[id] = b
	handlesMu.Unlock()
	setErr(nil)
	return C.int64_t(id)
}

// ftpcoord_listener_attach says which events the host wants, as JSON:
// {"onFile": true, "onFileChange": false, "onFileDelete": true, "onError": true}.
//
//export ftpcoord_listener_attach
func ftpcoord_listener_attach(h C.int64_t, service *C.char) (rc C.int) {
	defer guard(&rc)
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	if service == nil {
		return fail(errors.New("ftpcoord_listener_attach: service is NULL"), codeInvalidArg)
	}
	spec, err := decodeSpec(C.GoString(service))
	if err != nil {
		return fail(err, codeInvalidArg)
	}
	b.spec = spec
	if err := b.attach(); err != nil {
		return fail(err, codeError)
	}
	return codeOK
}

// ftpcoord_listener_start joins the coordination group (if configured) and
// polls on the listener's own schedule.
//
//export ftpcoord_listener_start
func ftpcoord_listener_start(h C.int64_t) (rc C.int) {
	defer guard(&rc)
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	if err := b.l.Start(context.Background()); err != nil {
		return fail(hostFix(err), codeError)
	}
	b.started = true
	return codeOK
}

// ftpcoord_listener_stop stops the listener and closes the handle. graceful
// hands the coordination token over at once; otherwise it is left to expire.
// Events not yet acknowledged are given back uncounted (with the ledger:
// released for another member at once).
//
//export ftpcoord_listener_stop
func ftpcoord_listener_stop(h C.int64_t, graceful C.int) (rc C.int) {
	defer guard(&rc)
	handlesMu.Lock()
	b := handles[int64(h)]
	delete(handles, int64(h))
	handlesMu.Unlock()
	if b == nil {
		return fail(fmt.Errorf("ftpcoord: handle %d is not open (never made, or already stopped)", int64(h)), codeInvalidHandle)
	}
	var err error
	if graceful != 0 {
		// Events waiting for the host's ack end at once (the host is
		// stopping, it will not ack), so the drain waits for nothing, and
		// their files are given back.
		b.close()
		err = b.l.Stop(context.Background())
	} else {
		// Halt first, so that nothing at all is written, as in a crash.
		err = b.l.Halt()
		b.close()
	}
	b.shutdownTracing()
	if err != nil {
		return fail(err, codeError)
	}
	return codeOK
}

// ftpcoord_listener_poll waits up to timeout_ms (negative: forever) for the
// next event and stores it as JSON in *event_json (free it with
// ftpcoord_free). Returns codeOK with an event, codeTimeout without one.
//
//export ftpcoord_listener_poll
func ftpcoord_listener_poll(h C.int64_t, timeoutMS C.int, eventJSON **C.char) (rc C.int) {
	defer guard(&rc)
	if eventJSON == nil {
		return fail(errors.New("ftpcoord_listener_poll: event_json is NULL"), codeInvalidArg)
	}
	*eventJSON = nil
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	timeout := time.Duration(timeoutMS) * time.Millisecond
	if timeoutMS < 0 {
		timeout = -1
	}
	ev, ok, err := b.next(timeout)
	switch {
	case err != nil:
		return fail(err, codeClosed)
	case !ok:
		return codeTimeout
	}
	out, _ := json.Marshal(ev)
	*eventJSON = C.CString(string(out))
	return codeOK
}

// ftpcoord_listener_poll_once runs one polling cycle now, for hosts that
// schedule polls themselves, and stores the events it produced as a JSON
// array in *events_json. It returns when the cycle ends or as soon as an
// event waits for the host's ack; the cycle then goes on in the background
// and later events come from ftpcoord_listener_poll.
//
//export ftpcoord_listener_poll_once
func ftpcoord_listener_poll_once(h C.int64_t, eventsJSON **C.char) (rc C.int) {
	defer guard(&rc)
	if eventsJSON == nil {
		return fail(errors.New("ftpcoord_listener_poll_once: events_json is NULL"), codeInvalidArg)
	}
	*eventsJSON = nil
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	done := make(chan error, 1)
	go func() { done <- b.l.PollOnce(context.Background()) }()
	var events []event
	var pollErr error
	select {
	case pollErr = <-done:
	case ev := <-b.queue:
		events = append(events, ev)
	}
	events = append(events, b.drain()...)
	if events == nil {
		events = []event{}
	}
	out, _ := json.Marshal(events)
	*eventsJSON = C.CString(string(out))
	if pollErr != nil && !errors.Is(pollErr, listener.ErrPollInProgress) {
		return fail(hostFix(pollErr), codeError)
	}
	return codeOK
}

// ftpcoord_event_read reads up to len bytes of a file event's content into
// buf and stores the count in *n; 0 bytes with codeOK is the end of the file.
//
//export ftpcoord_event_read
func ftpcoord_event_read(h C.int64_t, id C.int64_t, buf unsafe.Pointer, length C.int64_t, n *C.int64_t) (rc C.int) {
	defer guard(&rc)
	if buf == nil || n == nil || length <= 0 {
		return fail(errors.New("ftpcoord_event_read: buf and n must not be NULL and len must be positive"), codeInvalidArg)
	}
	*n = 0
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	p, err := b.pendingEvent(int64(id))
	if err != nil {
		return fail(err, codeInvalidArg)
	}
	if p.content == nil {
		return fail(fmt.Errorf("event %d has no content (only file events do)", int64(id)), codeInvalidArg)
	}
	dst := unsafe.Slice((*byte)(buf), int(length))
	k, err := io.ReadFull(p.content, dst)
	*n = C.int64_t(k)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fail(err, codeError)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) && k == 0 {
		return fail(err, codeError)
	}
	return codeOK
}

// ftpcoord_event_method tells which of the host's methods took a file
// event (onFileText, onFileJson, onFileXml, onFileCsv, onFile), before its
// ack: the after-actions of that method apply (services[].methods).
//
//export ftpcoord_event_method
func ftpcoord_event_method(h C.int64_t, id C.int64_t, method *C.char) (rc C.int) {
	defer guard(&rc)
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	if method == nil {
		return fail(errors.New("ftpcoord_event_method: method is NULL"), codeInvalidArg)
	}
	if err := b.tookBy(int64(id), C.GoString(method)); err != nil {
		return fail(err, codeInvalidArg)
	}
	return codeOK
}

// ftpcoord_event_ack ends an event that waits for the host: outcome 0 means
// processed (the listener commits it), 2 rejected (REJECTED at once,
// listener.ErrReject), anything else a failed attempt with message as its
// reason (retried per the ledger's settings).
//
//export ftpcoord_event_ack
func ftpcoord_event_ack(h C.int64_t, id C.int64_t, outcome C.int, message *C.char) (rc C.int) {
	defer guard(&rc)
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	msg := ""
	if message != nil {
		msg = C.GoString(message)
	}
	if err := b.ack(int64(id), int(outcome), msg); err != nil {
		return fail(err, codeInvalidArg)
	}
	return codeOK
}

// ftpcoord_status returns the member's state as JSON (role, holder, term,
// last heartbeat, ledger counts, listing and work health), or NULL; free it
// with ftpcoord_free.
//
//export ftpcoord_status
func ftpcoord_status(h C.int64_t) (out *C.char) {
	defer func() {
		if r := recover(); r != nil {
			setErr(fmt.Errorf("ftpcoord: internal error: %v", r))
			out = nil
		}
	}()
	b, rc := lookup(h)
	if rc != codeOK {
		return nil
	}
	st, err := b.l.Status(context.Background())
	if err != nil {
		setErr(err)
		return nil
	}
	j, _ := json.Marshal(st)
	return C.CString(string(j))
}

// callerRequest is one Caller operation, as JSON.
type callerRequest struct {
	Op            string `json:"op"` // exists, size, isDirectory, list, delete, rename, move, copy, mkdir, rmdir, put, append, get
	Path          string `json:"path"`
	To            string `json:"to,omitempty"`
	Content       string `json:"content,omitempty"`       // put/append: UTF-8 text
	ContentBase64 string `json:"contentBase64,omitempty"` // put/append: bytes
}

// ftpcoord_caller runs a Caller operation described as JSON and stores its
// result as JSON in *result_json (free it with ftpcoord_free). "get" returns
// the whole file base64-encoded: for small files; stream large ones through
// file events.
//
//export ftpcoord_caller
func ftpcoord_caller(h C.int64_t, request *C.char, resultJSON **C.char) (rc C.int) {
	defer guard(&rc)
	if request == nil || resultJSON == nil {
		return fail(errors.New("ftpcoord_caller: request and result_json must not be NULL"), codeInvalidArg)
	}
	*resultJSON = nil
	b, rc := lookup(h)
	if b == nil {
		return rc
	}
	var req callerRequest
	if err := json.Unmarshal([]byte(C.GoString(request)), &req); err != nil {
		return fail(fmt.Errorf("caller request: %w", err), codeInvalidArg)
	}
	res, err := runCaller(context.Background(), b.l.Caller(), req)
	if err != nil {
		return fail(err, codeError)
	}
	j, _ := json.Marshal(res)
	*resultJSON = C.CString(string(j))
	return codeOK
}

func runCaller(ctx context.Context, c *listener.Caller, r callerRequest) (any, error) {
	content := func() (io.Reader, error) {
		if r.ContentBase64 != "" {
			b, err := base64.StdEncoding.DecodeString(r.ContentBase64)
			return strings.NewReader(string(b)), err
		}
		return strings.NewReader(r.Content), nil
	}
	switch r.Op {
	case "exists":
		ok, err := c.Exists(ctx, r.Path)
		return map[string]bool{"exists": ok}, err
	case "size":
		n, err := c.Size(ctx, r.Path)
		return map[string]int64{"size": n}, err
	case "isDirectory":
		ok, err := c.IsDirectory(ctx, r.Path)
		return map[string]bool{"isDirectory": ok}, err
	case "list":
		l, err := c.List(ctx, r.Path)
		return map[string]any{"files": l}, err
	case "delete":
		return map[string]bool{"ok": true}, c.Delete(ctx, r.Path)
	case "rename", "move":
		return map[string]bool{"ok": true}, c.Rename(ctx, r.Path, r.To)
	case "copy":
		return map[string]bool{"ok": true}, c.Copy(ctx, r.Path, r.To)
	case "mkdir":
		return map[string]bool{"ok": true}, c.Mkdir(ctx, r.Path)
	case "rmdir":
		return map[string]bool{"ok": true}, c.Rmdir(ctx, r.Path)
	case "put", "append":
		rd, err := content()
		if err != nil {
			return nil, fmt.Errorf("caller request: contentBase64: %w", err)
		}
		if r.Op == "put" {
			return map[string]bool{"ok": true}, c.Put(ctx, r.Path, rd)
		}
		return map[string]bool{"ok": true}, c.Append(ctx, r.Path, rd)
	case "get":
		rd, err := c.Get(ctx, r.Path)
		if err != nil {
			return nil, err
		}
		defer rd.Close()
		var sb strings.Builder
		enc := base64.NewEncoder(base64.StdEncoding, &sb)
		if _, err := io.Copy(enc, rd); err != nil {
			return nil, err
		}
		enc.Close()
		return map[string]string{"contentBase64": sb.String()}, nil
	}
	return nil, fmt.Errorf("caller request: op %q: use exists, size, isDirectory, list, delete, rename, move, copy, mkdir, rmdir, put, append or get", r.Op)
}

func main() {}
