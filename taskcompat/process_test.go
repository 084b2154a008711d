package taskcompat_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/childproc"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/require"
)

// childEnv, when set, makes the test binary a member process (runChild)
// instead of running the tests: its value is the SQLite file's path.
const childEnv = "FTPCOORD_TASKCOMPAT_TEST_CHILD"

func TestMain(m *testing.M) { childproc.Main(m, childEnv, runChild) }

// runChild waits for a line on stdin, then does what a member process does
// on a fresh machine: opens the file (creating it), applies the schema and
// joins the group. It prints its role once it knows the holder, and stops
// gracefully at the next line.
func runChild(path, id string) error {
	members := strings.HasPrefix(path, membersChild)
	if cfg, ok := strings.CutPrefix(strings.TrimPrefix(path, membersChild), crashChild); ok {
		return runCrashChild(cfg, id, members)
	}
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
	var cs []*childproc.Child
	for i := range 3 {
		cs = append(cs, childproc.Start(t, childEnv, path, fmt.Sprintf("p%d", i)))
	}
	for _, c := range cs {
		io.WriteString(c.In, "go\n")
	}
	active := 0
	holders := map[string]bool{}
	for i, c := range cs {
		if !c.Out.Scan() {
			t.Fatalf("child %d said nothing: %v", i, c.Cmd.Wait())
		}
		f := strings.Fields(c.Out.Text())
		require.Len(t, f, 3, "child %d: %q", i, c.Out.Text())
		require.NotEqual(t, "error", f[0], "child %d: %q", i, c.Out.Text())
		if f[0] == "active" {
			active++
		}
		holders[f[1]+"/"+f[2]] = true
	}
	require.Equal(t, 1, active, "%d active, holders seen %v; want one holder under term 1", active, keys(holders))
	require.Len(t, holders, 1, "%d active, holders seen %v; want one holder under term 1", active, keys(holders))
	require.True(t, holders[strings.Join(keys(holders), "")], "%d active, holders seen %v; want one holder under term 1", active, keys(holders))
	require.True(t, strings.HasSuffix(keys(holders)[0], "/1"), "%d active, holders seen %v; want one holder under term 1", active, keys(holders))
	for i, c := range cs {
		io.WriteString(c.In, "stop\n")
		require.NoError(t, c.Cmd.Wait(), "child %d", i)
	}
	// The file stays in WAL mode (a property of the file): open it without
	// ftpcoord's settings and look.
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow("PRAGMA journal_mode").Scan(&mode), "journal mode")
	require.Equal(t, "wal", mode, "journal mode")
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
