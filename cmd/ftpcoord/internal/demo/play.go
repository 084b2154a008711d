package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/groupstatus"
	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// liveness is the members' livenessCheckInterval, seconds.
const liveness = 2

// progress is what the demo has seen so far.
type progress struct {
	files      int             // to upload
	uploaded   map[string]bool // paths uploaded so far
	uploadDone bool
	killed     string // the member killed, once it was
	killedAt   time.Time
	failover   time.Duration // from the kill to the new holder's takeover
	lastReport time.Time
}

// play runs the tour and checks the outcome.
func (d *demo) play(ctx context.Context, files int) error {
	for _, id := range []string{"m1", "m2", "m3"} {
		if err := d.startMember(id); err != nil {
			return err
		}
	}
	d.say("started members m1, m2, m3 (ftpcoord run --exec 'ftpcoord demo-handler'), each a process of its own")
	if err := d.waitActive(ctx); err != nil {
		return err
	}
	uploads := make(chan string, files)
	upErr := make(chan error, 1)
	go func() { upErr <- d.upload(ctx, files, 6*time.Second/time.Duration(files), uploads) }()
	d.say("uploading %d files to /inbox over about 6 s (every 9th one fails its first attempt)", files)

	p := &progress{files: files, uploaded: map[string]bool{}}
	for {
		uploads = p.drain(uploads, d)
		finished, err := d.step(ctx, p)
		if err != nil || finished {
			if err != nil {
				return err
			}
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			if errors.Is(err, context.Canceled) {
				return errors.New("demo interrupted; cleaning up")
			}
			return exitcode.With(exitcode.Lost, fmt.Errorf("gave up after %s: %w (run with --keep to keep the member logs)", time.Since(d.start).Round(time.Second), err))
		}
	}
	if err := <-upErr; err != nil {
		return err
	}
	d.showStatus(ctx)
	d.say("stopping the members (SIGTERM: each hands over gracefully)")
	d.stopMembers()
	return d.summary(ctx, p.uploaded, p.killed, p.failover)
}

// waitActive waits for a member to take the token.
func (d *demo) waitActive(ctx context.Context) error {
	for {
		if err := d.alive(); err != nil {
			return err
		}
		if h, term := d.holder(ctx); h != "" {
			d.say("%s is active (term %d); the others are standbys", h, term)
			return nil
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("no member became active: %w (run with --keep to keep the member logs)", err)
		}
	}
}

// drain takes the uploads reported so far; it returns nil once the
// uploader is done.
func (p *progress) drain(uploads chan string, d *demo) chan string {
	for {
		select {
		case path, ok := <-uploads:
			if !ok {
				p.uploadDone = true
				d.say("all %d files uploaded", p.files)
				return nil
			}
			p.uploaded[path] = true
		default:
			return uploads
		}
	}
}

// step looks at the group once: it crashes the active member when a third
// of the files are done, notes the takeover, reports the progress every
// second, and says whether every file is done.
func (d *demo) step(ctx context.Context, p *progress) (finished bool, err error) {
	if err := d.alive(); err != nil {
		return false, err
	}
	h, term := d.holder(ctx)
	counts, err := d.ledger.Counts(ctx)
	if err != nil {
		return false, err
	}
	done := counts[ledger.Done]
	switch {
	case p.killed == "" && done >= p.files/3 && h != "" && d.members[h] != nil:
		p.killed, p.killedAt = h, time.Now()
		d.members[h].Process.Signal(syscall.SIGKILL)
		d.members[h].Wait()
		delete(d.members, h)
		d.say("SIGKILL %s, the active member, in the middle of its work (%d files done)", h, done)
	case p.killed != "" && p.failover == 0 && h != p.killed && h != "":
		p.failover = time.Since(p.killedAt)
		why := fmt.Sprintf("the heartbeat rule: livenessCheckInterval %d s", liveness)
		if p.failover < time.Duration(liveness)*time.Second {
			why = "the crash signal: " + p.killed + "'s session lock ended with its process"
		}
		d.say("%s took over (term %d), %.1f s after the crash (%s)", h, term, p.failover.Seconds(), why)
		if err := d.startMember("m4"); err != nil {
			return false, err
		}
		d.say("started m4 in place of %s; it joins as a standby", p.killed)
	}
	if time.Since(p.lastReport) >= time.Second {
		p.lastReport = time.Now()
		age := time.Duration(-1)
		if h != "" && h == p.killed {
			age = d.heartbeatAge(ctx, h)
		}
		d.say("%s | uploaded %d/%d | done %d | claimed %d | waiting %d | retries %d",
			holderPhrase(h, term, h != "" && h == p.killed, age), len(p.uploaded), p.files, done, counts[ledger.InProgress], counts[ledger.Pending]+counts[ledger.Failed], d.retries())
	}
	if n := counts[ledger.Rejected]; n > 0 {
		return false, exitcode.With(exitcode.Lost, fmt.Errorf("%d files were rejected (see ftpcoord files list --status REJECTED)", n))
	}
	return p.uploadDone && done == p.files, nil
}

// showStatus prints what `ftpcoord status` would.
func (d *demo) showStatus(ctx context.Context) {
	h, term := d.holder(ctx)
	d.say("every file is DONE; %s is active (term %d). What `ftpcoord status` shows now:", h, term)
	tc := taskcompat.Config{Database: d.dbConfig, TaskID: "demo", GroupID: d.group}.WithDefaults()
	tc.LivenessCheckInterval = liveness
	st, err := groupstatus.Read(ctx, d.db, d.dialect, tc)
	if err != nil {
		d.say("status: %v", err)
		return
	}
	var b strings.Builder
	groupstatus.Write(&b, st)
	fmt.Fprint(d.out, "          "+strings.ReplaceAll(strings.TrimRight(b.String(), "\n"), "\n", "\n          ")+"\n")
}

// holderPhrase begins a progress line: the active member and its term, or,
// while the holder is a killed member that nobody replaced yet, that its
// heartbeat is ageing towards the takeover (age < 0: its row is gone).
func holderPhrase(holder string, term int64, killed bool, age time.Duration) string {
	if !killed {
		return fmt.Sprintf("active %-3s term %d", groupstatus.OrNone(holder), term)
	}
	if age < 0 {
		return fmt.Sprintf("holder %s (killed) term %d, no heartbeat row: takeover at the next check", holder, term)
	}
	// Ballerina's rule: stale once its whole seconds exceed livenessCheckInterval.
	return fmt.Sprintf("holder %s (killed) term %d, heartbeat ageing: %.1f s old, takeover at %d s",
		holder, term, age.Seconds(), liveness+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
