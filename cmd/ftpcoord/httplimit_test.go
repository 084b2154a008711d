package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func openFDs(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(es)
}

// More idle connections to the metrics endpoint than its limit hold at most
// maxHTTPConns of the member's file descriptors; connections that send
// nothing, and keep-alive connections left idle, are closed by the server
// (the documented timeouts), after which /healthz answers again.
func TestMetricsEndpointBoundsIdleConnections(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := serveMetrics(ctx, "127.0.0.1:0", newMetrics(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	base := openFDs(t)

	// A keep-alive connection that made one request and then idles.
	ka, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	defer ka.Close()
	_, err = io.WriteString(ka, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(ka)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Then many more that never send a byte.
	n := maxHTTPConns + 100
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i], err = net.Dial("tcp", addr.String())
		require.NoError(t, err)
		defer conns[i].Close()
	}
	// The server's side: at most the limit (the keep-alive one included).
	eventually(t, 10*time.Second, "the server to accept up to its limit", func() bool { return openFDs(t)-base-n >= maxHTTPConns-1 })
	require.LessOrEqual(t, openFDs(t)-base-n, maxHTTPConns+2, "the server holds more connections than its limit")

	// Every one is closed by the server: none waits for good.
	var wg sync.WaitGroup
	closed := make(chan time.Duration, n+1)
	start := time.Now()
	for _, c := range append(conns, ka) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(time.Now().Add(time.Minute))
			if _, err := c.Read(make([]byte, 1)); err == io.EOF {
				closed <- time.Since(start)
			}
		}()
	}
	wg.Wait()
	require.Len(t, closed, n+1, "connections the server did not close within a minute")
	r, err := http.Get("http://" + addr.String() + "/healthz")
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusOK, r.StatusCode, "/healthz after the idle connections")
}
