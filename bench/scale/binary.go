package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

// binaryCurve is the shared-mode curve with the `ftpcoord` command itself
// as the members (`ftpcoord run --exec`), rounds runs per member count,
// in rotated order; each run's figures are returned in the Markdown report.
// The handler is a shell command: it reads the file, waits work and appends
// the file's path to a log (the count of distinct paths is the progress).
func binaryCurve(dir string, srv *ftpServer, counts []int, files, rounds int, work time.Duration) (string, error) {
	bin := filepath.Join(dir, "ftpcoord")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ftpcoord")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build ftpcoord: %w", err)
	}
	head, _ := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	type point struct {
		fps, busy []float64
		load      []string
	}
	res := map[int]*point{}
	var b strings.Builder
	var runs []string
	for r := 0; r < rounds; r++ {
		for i := range counts {
			n := counts[(i+r)%len(counts)]
			if res[n] == nil {
				res[n] = &point{}
			}
			l0 := loadavg1()
			took, busy, err := binaryPoint(bin, srv, dir, n, files, work, r)
			l1 := loadavg1()
			if err != nil {
				runs = append(runs, fmt.Sprintf("| %d | %d | error: %v | | | %s → %s |", r+1, n, err, l0, l1))
				continue
			}
			fps := float64(files) / took.Seconds()
			res[n].fps = append(res[n].fps, fps)
			res[n].busy = append(res[n].busy, 100*busy)
			runs = append(runs, fmt.Sprintf("| %d | %d | %.2f s | %.0f | %.0f%% | %s → %s |", r+1, n, took.Seconds(), fps, 100*busy, l0, l1))
			fmt.Fprintf(os.Stderr, "scale: binary, round %d, %d members: %v, %.0f files/s, CPU %.0f%%\n", r+1, n, took, fps, 100*busy)
		}
	}
	fmt.Fprintf(&b, "# Scale: shared mode by member count, the `ftpcoord` command\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/scale %s`  \nDate: %s; commit %s; %d CPUs (a shared VM: other engineers' tests ran at the same time; the 1-minute load average before and after each run is listed), %s; PostgreSQL of tests/services; bench/scale's in-process FTP server.\n\n",
		strings.Join(os.Args[1:], " "), time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.TrimSpace(string(head)), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "%d files of 1 KiB moved into the directory once every member logged `member started`; members are `ftpcoord run --exec` "+
		"processes in `shared` mode, 4 workers and 4 connections each, pollingInterval 0.25 s, maxFilesPerPoll 100, settleTime 0; the "+
		"handler is `cat >/dev/null; sleep %g; echo \"$FTPCOORD_PATH\" >> LOG` (a shell, `cat` and `sleep` per file). The ideal line is "+
		"members x 4 workers / %v (it leaves out the processes each file starts). %d runs per point, the order rotated each round. "+
		"CPU: the machine's busy share while the clock ran (/proc/stat).\n\n", files, work.Seconds(), work, rounds)
	b.WriteString("| members | runs | files/s min / median / max | ideal files/s | median of ideal | CPU busy min / median / max |\n|---|---|---|---|---|---|\n")
	for _, n := range counts {
		p := res[n]
		if p == nil || len(p.fps) == 0 {
			fmt.Fprintf(&b, "| %d | 0 | - | | | |\n", n)
			continue
		}
		ideal := float64(n*4) / work.Seconds()
		fmt.Fprintf(&b, "| %d | %d | %s | %.0f | %.0f%% | %s |\n", n, len(p.fps), spread3(p.fps, "%.0f"), ideal, 100*med(p.fps)/ideal, spread3(p.busy, "%.0f%%"))
	}
	b.WriteString("\n## Every run\n\n| round | members | time | files/s | CPU busy | load avg before → after |\n|---|---|---|---|---|---|\n")
	b.WriteString(strings.Join(runs, "\n") + "\n")
	return b.String(), nil
}

func loadavg1() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func med(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func spread3(xs []float64, f string) string {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return fmt.Sprintf(f+" / "+f+" / "+f, s[0], med(s), s[len(s)-1])
}

// binaryPoint runs n `ftpcoord run --exec` members in shared mode over
// files files; it returns the time from the files' arrival to the last
// handler's end and the machine's CPU busy share meanwhile.
func binaryPoint(bin string, srv *ftpServer, dir string, n, files int, work time.Duration, round int) (time.Duration, float64, error) {
	ctx := context.Background()
	db, sqldb, done, err := testdb.Bench(ctx, schema.Postgres)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	sqldb.Close()
	name := fmt.Sprintf("bincurve-%d-%d", n, round+1)
	remote, local, staging, wd := "/"+name, filepath.Join(srv.root, name), filepath.Join(srv.root, "."+name), filepath.Join(dir, name)
	names, err := stageFiles([]string{local, staging, wd}, staging, files)
	if err != nil {
		return 0, 0, err
	}
	logPath := filepath.Join(wd, "handler.log")
	handler := fmt.Sprintf(`cat >/dev/null; sleep %g; echo "$FTPCOORD_PATH" >> %s`, work.Seconds(), logPath)
	var procs []*exec.Cmd
	started := make(chan int, n)
	exited := make(chan int, n)
	defer func() {
		for _, c := range procs {
			c.Process.Signal(os.Interrupt)
		}
		for range procs {
			select {
			case <-exited:
			case <-time.After(15 * time.Second):
			}
		}
		for _, c := range procs {
			c.Process.Kill()
		}
	}()
	for i := range n {
		id := fmt.Sprintf("m%d", i+1)
		cfgPath := filepath.Join(wd, id+".json")
		if err := writeJSON(cfgPath, memberConfig(srv, remote, id, name, "shared", db, map[string]any{
			"workers": 4, "maxConnections": 4, "pollingInterval": 0.25, "maxFilesPerPoll": 100,
			"processingTimeout": 30, "settleTime": 0})); err != nil {
			return 0, 0, err
		}
		cmd := exec.Command(bin, "run", "--config", cfgPath, "--log-format", "json", "--exec", handler)
		pr, pw, err := os.Pipe()
		if err != nil {
			return 0, 0, err
		}
		cmd.Stdout, cmd.Stderr = pw, pw
		if err := cmd.Start(); err != nil {
			pw.Close()
			pr.Close()
			return 0, 0, err
		}
		pw.Close()
		procs = append(procs, cmd)
		logf, err := os.Create(filepath.Join(wd, id+".log"))
		if err != nil {
			return 0, 0, err
		}
		go func(i int) {
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				fmt.Fprintln(logf, sc.Text())
				if strings.Contains(sc.Text(), `"msg":"member started"`) {
					started <- i
				}
			}
			logf.Close()
			pr.Close()
			cmd.Wait()
			exited <- i
		}(i)
	}
	deadline := time.After(60 * time.Second)
	for range n {
		select {
		case <-started:
		case i := <-exited:
			return 0, 0, fmt.Errorf("member %d exited before it started (see %s)", i+1, wd)
		case <-deadline:
			return 0, 0, fmt.Errorf("members did not start within 60 s (see %s)", wd)
		}
	}
	return releaseAndTime(staging, local, names, func() int { return distinctLines(logPath) })
}

// distinctLines counts the distinct lines of a file (paths the handler
// appended); a missing file counts 0.
func distinctLines(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		seen[sc.Text()] = true
	}
	return len(seen)
}
