package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/internal/sqlbind"
)

// startMember starts `ftpcoord run` for one member as a process of its own.
func (d *demo) startMember(id string) error {
	cfg := map[string]any{}
	b, _ := json.Marshal(d.baseCfg)
	json.Unmarshal(b, &cfg)
	cfg["coordination"].(map[string]any)["memberId"] = id
	b, _ = json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(d.dir, id+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(d.dir, id+".log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(d.exe, "run", "--config", path, "--exec", d.execCmd, "--log-format", "json")
	cmd.Stdout, cmd.Stderr = logf, logf
	// A process group of its own: a Ctrl-C on the demo reaches the demo,
	// which stops the members itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start member %s: %w", id, err)
	}
	d.members[id] = cmd
	return nil
}

// stopMembers stops every member gracefully (SIGTERM), then by force.
func (d *demo) stopMembers() {
	for _, c := range d.members {
		c.Process.Signal(syscall.SIGTERM)
	}
	for id, c := range d.members {
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
		}
		delete(d.members, id)
	}
}

// holder reads the token holder and term.
func (d *demo) holder(ctx context.Context) (string, int64) {
	var h string
	var term int64
	d.db.QueryRowContext(ctx, sqlbind.Rebind(d.dialect, `SELECT task_id, term FROM token_holder WHERE group_id = ?`), d.group).Scan(&h, &term)
	return h, term
}

// heartbeatAge is the age of a member's last heartbeat by the database
// clock, or -1 when it has none.
func (d *demo) heartbeatAge(ctx context.Context, member string) time.Duration {
	var ms int64
	err := d.db.QueryRowContext(ctx, sqlbind.Rebind(d.dialect, `SELECT `+groupstatus.HeartbeatAge[d.dialect]+` FROM health_check WHERE group_id = ? AND task_id = ?`),
		d.group, member).Scan(&ms)
	if err != nil {
		return -1
	}
	return time.Duration(ms) * time.Millisecond
}

// alive fails when a member exited on its own.
func (d *demo) alive() error {
	for id, c := range d.members {
		if c.ProcessState != nil {
			continue
		}
		var ws syscall.WaitStatus
		pid, _ := syscall.Wait4(c.Process.Pid, &ws, syscall.WNOHANG, nil)
		if pid == c.Process.Pid {
			c.Process.Release()
			delete(d.members, id)
			log, _ := os.ReadFile(filepath.Join(d.dir, id+".log"))
			return fmt.Errorf("member %s exited (%v):\n%s", id, ws.ExitStatus(), tail(string(log), 2000))
		}
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
