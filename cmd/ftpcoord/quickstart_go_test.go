package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The README's way to use the module from a module of one's own (a replace
// directive to a clone) works as written: its commands, run in a fresh
// directory with the Go quickstart saved there as main.go and this
// repository as the clone, make a module that builds (go build in place of
// the final go run).
func TestREADMEGoQuickstartBuildsFromAClone(t *testing.T) {
	var goSrc, steps string
	for _, b := range codeBlocks(t, "../../README.md") {
		switch {
		case b.lang == "go" && strings.HasPrefix(b.body, "package main\n"):
			goSrc = b.body
		case b.lang == "sh" && strings.Contains(b.body, "go mod edit -replace github.com/ftpcoord/ftpcoord="):
			steps = b.body
		}
	}
	require.NotEmpty(t, goSrc, "the README has no Go quickstart")
	require.NotEmpty(t, steps, "the README does not say how to depend on the module from a clone (go mod edit -replace)")
	const moduleDir, clone = "/tmp/invoices", "/path/to/ftpcoord"
	require.Contains(t, steps, moduleDir)
	require.Contains(t, steps, "="+clone+" ")
	require.Contains(t, steps, "\ngo run . node-a")

	dir := filepath.Join(t.TempDir(), "invoices")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(goSrc), 0o644))
	script := strings.ReplaceAll(steps, moduleDir, dir)
	script = strings.ReplaceAll(script, "="+clone+" ", "="+mustAbs(t, "../..")+" ")
	script = strings.Replace(script, "\ngo run . node-a", "\ngo build -o app . && go vet . && test -x app #", 1)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", script, out)
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(mod), "require github.com/ftpcoord/ftpcoord v0.0.0-")
}
