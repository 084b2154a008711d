package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	require.NotEmpty(t, v, "%s is not set: run tests/services/start.sh and export what it prints", name)
	return v
}

// A configuration with services, as the C ABI and the Java bindings pass
// it (JSON): the host's service is attached to each, and each file's event
// names its service; every file reaches the host once, through its own
// service's filters.
func TestServicesEventsNameTheirService(t *testing.T) {
	root := testEnv(t, "FTPCOORD_TEST_PUREFTPD_ROOT")
	dir := fmt.Sprintf("capi-services-%d", time.Now().UnixNano())
	for _, f := range []string{"a/x.csv", "a/skip.txt", "b/y.txt"} {
		p := filepath.Join(root, dir, f)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o777))
		require.NoError(t, os.WriteFile(p, []byte(f), 0o644))
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Join(root, dir)) })
	host, port, _ := strings.Cut(testEnv(t, "FTPCOORD_TEST_PUREFTPD_ADDR"), ":")
	cfg, err := listener.DecodeConfig([]byte(fmt.Sprintf(`{"protocol": "FTP", "host": %q, "port": %s, "pollingInterval": 3600,
		"auth": {"credentials": {"username": %q, "password": %q}},
		"services": [{"path": "/%s/a", "fileNamePattern": ".*\\.csv"}, {"name": "b", "path": "/%s/b"}]}`,
		host, port, testEnv(t, "FTPCOORD_TEST_PUREFTPD_USER"), testEnv(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD"), dir, dir)))
	require.NoError(t, err)
	l, err := listener.New(cfg)
	require.NoError(t, err)
	b := newBridge(l)
	b.spec = serviceSpec{OnFile: true, OnError: true}
	require.NoError(t, b.attach())
	t.Cleanup(func() { b.close(); l.Stop(context.Background()) })

	done := make(chan error, 1)
	go func() { done <- l.PollOnce(context.Background()) }()
	var got []string
	for len(got) < 2 {
		ev, ok, err := b.next(30 * time.Second)
		require.NoError(t, err)
		require.True(t, ok, "no event within 30 s; got %v", got)
		if ev.Kind != "file" {
			t.Fatalf("unexpected event %+v", ev)
		}
		got = append(got, strconv.Quote(ev.Service)+" "+ev.File.Path)
		require.NoError(t, b.ack(ev.ID, ackProcessed, ""))
	}
	require.NoError(t, <-done)
	slices.Sort(got)
	assert.Equal(t, []string{`"" /` + dir + "/a/x.csv", `"b" /` + dir + "/b/y.txt"}, got)
	_, ok, _ := b.next(0)
	assert.False(t, ok, "one event per file")
}

// The host tells which of its methods took a file (ftpcoord_event_method,
// as Java's typed content routes it); that method's after-actions apply,
// and a file no method was named for is onFile's.
func TestHostMethodsAfterActions(t *testing.T) {
	root := testEnv(t, "FTPCOORD_TEST_PUREFTPD_ROOT")
	dir := fmt.Sprintf("capi-methods-%d", time.Now().UnixNano())
	for _, f := range []string{"in/a.csv", "in/b.txt"} {
		p := filepath.Join(root, dir, f)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o777))
		os.Chmod(filepath.Dir(p), 0o777)
		require.NoError(t, os.WriteFile(p, []byte(f), 0o644))
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}
	for _, d := range []string{"done", "other"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, dir, d), 0o777))
		os.Chmod(filepath.Join(root, dir, d), 0o777)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Join(root, dir)) })
	host, port, _ := strings.Cut(testEnv(t, "FTPCOORD_TEST_PUREFTPD_ADDR"), ":")
	cfg, err := listener.DecodeConfig([]byte(fmt.Sprintf(`{"protocol": "FTP", "host": %q, "port": %s, "pollingInterval": 3600, "settleTime": 0,
		"auth": {"credentials": {"username": %q, "password": %q}},
		"services": [{"path": "/%s/in", "methods": {"onFileCsv": {"afterProcess": {"moveTo": "/%s/done"}}, "onFile": {"afterProcess": {"moveTo": "/%s/other"}}}}]}`,
		host, port, testEnv(t, "FTPCOORD_TEST_PUREFTPD_USER"), testEnv(t, "FTPCOORD_TEST_PUREFTPD_PASSWORD"), dir, dir, dir)))
	require.NoError(t, err)
	l, err := listener.New(cfg)
	require.NoError(t, err)
	b := newBridge(l)
	b.spec = serviceSpec{OnFile: true}
	require.NoError(t, b.attach())
	t.Cleanup(func() { b.close(); l.Stop(context.Background()) })

	done := make(chan error, 1)
	go func() { done <- l.PollOnce(context.Background()) }()
	for range 2 {
		ev, ok, err := b.next(30 * time.Second)
		require.NoError(t, err)
		require.True(t, ok, "no event within 30 s")
		if ev.File.Name == "a.csv" {
			assert.ErrorContains(t, b.tookBy(ev.ID, "onFileCSV"), `want one of`)
			require.NoError(t, b.tookBy(ev.ID, "onFileCsv"))
		}
		require.NoError(t, b.ack(ev.ID, ackProcessed, ""))
	}
	require.NoError(t, <-done)
	assert.FileExists(t, filepath.Join(root, dir, "done", "a.csv"), "onFileCsv's afterProcess")
	assert.NoFileExists(t, filepath.Join(root, dir, "in", "a.csv"))
	assert.FileExists(t, filepath.Join(root, dir, "other", "b.txt"), "a file no method was named for is onFile's")
	assert.ErrorContains(t, b.tookBy(999, "onFile"), "not waiting")
}
