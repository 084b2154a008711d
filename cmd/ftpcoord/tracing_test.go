package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes the protobuf
// requests the exporter sends (the protocol's own messages, from
// go.opentelemetry.io/proto/otlp, the module the exporter encodes with)
// and keeps their spans. The collector's receiver would bring the
// collector's whole dependency tree into the module for one handler.
type otlpReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []span
}

type span struct {
	name                    string
	trace, id, parent       string
	attrs                   map[string]string
	service, serviceVersion string
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST /v1/traces, application/x-protobuf", http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(req.Body)
		var msg coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(body, &msg)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.ResourceSpans {
			svc := map[string]string{}
			for _, a := range rs.GetResource().GetAttributes() {
				svc[a.Key] = a.Value.GetStringValue()
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					attrs := map[string]string{}
					for _, a := range s.Attributes {
						switch v := a.Value.Value.(type) {
						case *commonpb.AnyValue_IntValue:
							attrs[a.Key] = fmt.Sprint(v.IntValue)
						default:
							attrs[a.Key] = a.Value.GetStringValue()
						}
					}
					r.spans = append(r.spans, span{name: s.Name, trace: hex.EncodeToString(s.TraceId), id: hex.EncodeToString(s.SpanId),
						parent: hex.EncodeToString(s.ParentSpanId), attrs: attrs, service: svc["service.name"], serviceVersion: svc["service.version"]})
				}
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// named returns the spans received with a name.
func (r *otlpReceiver) named(name string) []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []span
	for _, s := range r.spans {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

// A member with OTEL_EXPORTER_OTLP_ENDPOINT sends a span per poll (its
// listing and claim) and per file (transfer, handler, commit,
// after-action) to a real OTLP/HTTP receiver, with the file, version,
// attempt, member and term; its --exec command gets the handler span's
// context as TRACEPARENT.
func TestTracesGoToAnOTLPReceiver(t *testing.T) {
	rcv := newOTLPReceiver(t)
	srv := newFTPDir(t)
	db := testdb.NewWithSchema(t, schema.Postgres)
	work := t.TempDir()
	parents := filepath.Join(work, "traceparent")
	cfg := writeJSON(t, filepath.Join(work, "m.json"), memberConfig(srv, db, "traced", "m", map[string]any{"afterProcess": map[string]any{"moveTo": srv.path + "/done"}}))
	cmd := exec.Command(bin, "run", "--config", cfg, "--exec", `cat >/dev/null; printf '%s' "$TRACEPARENT" > `+parents)
	cmd.Env = append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT="+rcv.srv.URL, "OTEL_BSP_SCHEDULE_DELAY=50")
	startMember(t, cmd)
	srv.put(t, "a.csv", "a,b,c")

	var file span
	eventually(t, 30*time.Second, "the file's after-action span", func() bool {
		fs := rcv.named(listener.SpanFile)
		if len(fs) == 0 || len(rcv.named(listener.SpanAfter)) == 0 {
			return false
		}
		file = fs[0]
		return true
	})
	assert.Equal(t, srv.path+"/a.csv", file.attrs[listener.AttrPath])
	assert.Len(t, file.attrs[listener.AttrVersion], 64, "the version key: %v", file.attrs)
	assert.Equal(t, "1", file.attrs[listener.AttrAttempt])
	assert.Equal(t, "m", file.attrs[listener.AttrMember])
	assert.Equal(t, "1", file.attrs[listener.AttrTerm], "the term of the first holder")
	assert.Equal(t, "ftpcoord", file.service, "the resource's service.name")

	// The file's steps are its children, in its trace.
	for _, name := range []string{listener.SpanTransfer, listener.SpanHandler, listener.SpanCommit, listener.SpanAfter} {
		got := rcv.named(name)
		require.NotEmpty(t, got, "no %s span", name)
		assert.Equal(t, file.trace, got[0].trace, "%s: trace", name)
		assert.Equal(t, file.id, got[0].parent, "%s: its parent is not the file's span", name)
	}
	assert.Equal(t, "afterProcess", rcv.named(listener.SpanAfter)[0].attrs[listener.AttrAction])
	assert.Equal(t, file.attrs[listener.AttrVersion], rcv.named(listener.SpanCommit)[0].attrs[listener.AttrVersion])

	// The poll that found it: its listing and its claim are its children,
	// and so is the file.
	var poll span
	for _, p := range rcv.named(listener.SpanPoll) {
		if p.id == file.parent || p.trace == file.trace {
			poll = p
		}
	}
	require.NotEmpty(t, poll.id, "no poll span in the file's trace")
	assert.Equal(t, "m", poll.attrs[listener.AttrMember])
	for _, name := range []string{listener.SpanListing, listener.SpanClaim} {
		found := false
		for _, s := range rcv.named(name) {
			found = found || s.parent == poll.id
		}
		assert.True(t, found, "no %s span under the poll %s", name, poll.id)
	}

	// TRACEPARENT: version 00, the file's trace, the handler's span, sampled.
	b, err := os.ReadFile(parents)
	require.NoError(t, err, "the command did not write $TRACEPARENT")
	handler := rcv.named(listener.SpanHandler)[0]
	assert.Equal(t, "00-"+file.trace+"-"+handler.id+"-01", strings.TrimSpace(string(b)))
}
