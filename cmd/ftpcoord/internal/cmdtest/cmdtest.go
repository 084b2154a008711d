// Package cmdtest builds the ftpcoord binary for the tests that run it end
// to end (the command's and the demo's).
package cmdtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Main builds the ftpcoord command once into a temporary directory, sets
// *bin to the binary, runs the tests and exits with their code; call it from
// TestMain.
func Main(m *testing.M, bin *string) {
	dir, err := os.MkdirTemp("", "ftpcoord-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin = filepath.Join(dir, "ftpcoord")
	build := exec.Command("go", "build", "-o", *bin, "github.com/ftpcoord/ftpcoord/cmd/ftpcoord")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build ftpcoord:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
