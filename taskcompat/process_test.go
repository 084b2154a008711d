package taskcompat_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// childEnv, when set, makes the test binary a member process (runChild)
// instead of running the tests: its value is the SQLite file's path.
const childEnv = "FTPCOORD_TASKCOMPAT_TEST_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		if err := runChild(path, os.Getenv(childEnv+"_ID")); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild waits for a line on stdin, then does what a member process does
// on a fresh machine: opens the file (creating it), applies the schema and
// joins the group. It prints its role once it knows the holder, and stops
// gracefully at the next line.
func runChild(path, id string) error {
	in := bufio.NewReader(os.Stdin)
	fmt.Println("ready")
	if _, err := in.ReadString('\n'); err != nil {
		return err
	}
	ctx := context.Background()
	dbCfg := taskcompat.DatabaseConfig{Type: "sqlite", Database: path}
	db, err := taskcompat.OpenDB(dbCfg, "", 5*time.Second)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := schema.Apply(ctx, db, schema.SQLite); err != nil {
		return err
	}
	// What this test is about is the start; a long liveness interval keeps
	// a machine overloaded by other work from failing it on timing.
	c, err := taskcompat.New(ctx, taskcompat.Config{Database: dbCfg, TaskID: id, GroupID: "fresh",
		LivenessCheckInterval: 10, HeartbeatFrequency: taskcompat.Seconds(heartbeat)})
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.State().Holder == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println(c.State().Role, c.State().Holder, c.State().Term)
	if _, err := in.ReadString('\n'); err != nil {
		return err
	}
	return c.Stop(ctx)
}

// Three member processes start at the same moment on an SQLite file that
// does not exist yet, each applying the schema: all of them start, and they
// agree on one holder under term 1.
func TestSQLiteFreshFileThreeProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fresh.db")
	type child struct {
		cmd *exec.Cmd
		in  io.WriteCloser
		out *bufio.Scanner
	}
	var cs []*child
	for i := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+path, fmt.Sprintf("%s_ID=p%d", childEnv, i))
		cmd.Stderr = os.Stderr
		in, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		c := &child{cmd: cmd, in: in, out: bufio.NewScanner(out)}
		if !c.out.Scan() || c.out.Text() != "ready" {
			t.Fatalf("child %d did not start: %q", i, c.out.Text())
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		io.WriteString(c.in, "go\n")
	}
	active := 0
	holders := map[string]bool{}
	for i, c := range cs {
		if !c.out.Scan() {
			t.Fatalf("child %d said nothing: %v", i, c.cmd.Wait())
		}
		f := strings.Fields(c.out.Text())
		if len(f) != 3 || f[0] == "error" {
			t.Fatalf("child %d: %q", i, c.out.Text())
		}
		if f[0] == "active" {
			active++
		}
		holders[f[1]+"/"+f[2]] = true
	}
	if active != 1 || len(holders) != 1 || !holders[strings.Join(keys(holders), "")] || !strings.HasSuffix(keys(holders)[0], "/1") {
		t.Fatalf("%d active, holders seen %v; want one holder under term 1", active, keys(holders))
	}
	for i, c := range cs {
		io.WriteString(c.in, "stop\n")
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}
	// The file stays in WAL mode (a property of the file): open it without
	// ftpcoord's settings and look.
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q, %v; want wal", mode, err)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
