// Package childproc lets a test binary run copies of itself as separate
// processes, for tests that need several processes on one database: the
// test's TestMain hands over to Main, which runs the child's work instead
// of the tests when the environment says so, and Start runs one child.
//
// A child prints "ready" once it is set up; Start waits for that line.
package childproc

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
)

// Main runs the tests, or, in a child started with env set, run(value, id)
// with env's value and the child's id; a child prints "error ..." and exits
// 1 when run fails.
func Main(m *testing.M, env string, run func(value, id string) error) {
	if value := os.Getenv(env); value != "" {
		if err := run(value, os.Getenv(env+"_ID")); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Child is a running child process: write to In, read lines from Out.
type Child struct {
	Cmd *exec.Cmd
	In  io.WriteCloser
	Out *bufio.Scanner
}

// Start runs the test binary as child id with env set to value (no test
// runs in it), and waits for its "ready" line. The child is killed at the
// end of the test if it is still running.
func Start(t testing.TB, env, value, id string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env+"="+value, env+"_ID="+id)
	cmd.Stderr = os.Stderr
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := &Child{Cmd: cmd, In: in, Out: bufio.NewScanner(out)}
	if !c.Out.Scan() || c.Out.Text() != "ready" {
		t.Fatalf("child %s did not start: %q", id, c.Out.Text())
	}
	return c
}
