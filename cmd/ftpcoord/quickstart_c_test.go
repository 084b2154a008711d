package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cQuickstart is the C quickstart: the c block with a main of the README,
// which docs/c-abi.md must repeat word for word.
func cQuickstart(t *testing.T) string {
	t.Helper()
	find := func(doc string) string {
		for _, b := range codeBlocks(t, doc) {
			if b.lang == "c" && strings.Contains(b.body, "int main(void)") {
				return b.body
			}
		}
		t.Fatalf("%s has no C example (a c block with main)", doc)
		return ""
	}
	src := find("../../README.md")
	require.Equal(t, src, find("../../docs/c-abi.md"), "the C example of docs/c-abi.md differs from the README's C quickstart")
	return src
}

// The C quickstart, compiled as written against a freshly built
// libftpcoord.so and run against the test pure-ftpd (in a directory of its
// own in place of /quickstart), reads and commits every file, not only the
// first, and exits 0 once the directory stays quiet.
func TestCQuickstartProcessesFiles(t *testing.T) {
	src := cQuickstart(t)
	ensureTool(t, "cc", "gcc")
	srv := newFTPDir(t)
	const path = `\"path\": \"/quickstart\"`
	require.Contains(t, src, path, "the C quickstart no longer watches /quickstart")
	src = strings.Replace(src, path, `\"path\": \"`+srv.path+`\"`, 1)
	if addr := fmt.Sprintf(`\"host\": \"%s\", \"port\": %d`, srv.host, srv.port); addr != `\"host\": \"127.0.0.1\", \"port\": 2121` {
		src = strings.Replace(src, `\"host\": \"127.0.0.1\", \"port\": 2121`, addr, 1)
	}
	require.Contains(t, src, `\"username\": \"`+srv.user+`\", \"password\": \"`+srv.pass+`\"`, "the C quickstart's credentials are not the test server's")

	sizes := map[string]int{}
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("2026-12-0%d.csv", i)
		body := strings.Repeat("id,amount\n", 100*i)
		srv.put(t, name, body)
		sizes[name] = len(body)
	}

	dir := t.TempDir()
	lib := exec.Command("go", "build", "-buildmode=c-shared", "-o", filepath.Join(dir, "libftpcoord.so"), "./capi")
	lib.Dir = "../.."
	out, err := lib.CombinedOutput()
	require.NoError(t, err, "go build ./capi: %s", out)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.c"), []byte(src), 0o644))
	cc := exec.Command("cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "app.c", "-I"+mustAbs(t, "../../capi"),
		"-L.", "-lftpcoord", "-Wl,-rpath,"+dir, "-o", "app")
	cc.Dir = dir
	out, err = cc.CombinedOutput()
	require.NoError(t, err, "cc app.c: %s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	app := exec.CommandContext(ctx, filepath.Join(dir, "app"))
	out, err = app.CombinedOutput()
	require.NoError(t, err, "./app:\n%s", out)

	// Each file's event, then its content read to the end and committed.
	event := regexp.MustCompile(`(?m)^event: \{"id":\d+,"kind":"file",.*"name":"([^"]+)".*\n^read (\d+) bytes, committed$`)
	got := map[string]int{}
	for _, m := range event.FindAllStringSubmatch(string(out), -1) {
		var n int
		fmt.Sscan(m[2], &n)
		assert.NotContains(t, got, m[1], "%s handed over twice", m[1])
		got[m[1]] = n
	}
	assert.Equal(t, sizes, got, "./app:\n%s", out)
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}
