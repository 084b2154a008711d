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

	"github.com/ftpcoord/ftpcoord/taskcompat"
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
	g, _ := taskcompat.ReadGroup(ctx, d.db, d.dialect, d.group)
	return g.Holder, g.Term
}

// heartbeatAge is the age of a member's last heartbeat by the database
// clock, or -1 when it has none.
func (d *demo) heartbeatAge(ctx context.Context, member string) time.Duration {
	g, err := taskcompat.ReadGroup(ctx, d.db, d.dialect, d.group)
	if err != nil {
		return -1
	}
	for _, m := range g.Members {
		if m.ID == member && m.AgeKnown {
			return m.Age
		}
	}
	return -1
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
