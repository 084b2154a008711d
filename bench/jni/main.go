// Command jni measures the cost of one event across the C ABI boundary (poll
// + ack) from a C host (hosts/host.c) and from a Java host (hosts/JavaHost.java, through
// the Java bindings), against the same events consumed by a Go service in
// process. All three consume the same files from pure-ftpd through one
// listener (no coordination, one worker), each reading every file to the end.
//
//	make java && eval "$(tests/services/start.sh pureftpd)" && go run ./bench/jni -out bench/jni.md
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/benchenv"
)

// result is one run of one consumer.
type result struct {
	wall   time.Duration
	median time.Duration // host-thread CPU per event between handlers (C, Java)
	mean   time.Duration
	empty  time.Duration // one poll with timeout 0 on an empty queue (C, Java)
}

// counter is the Go service: it reads every file and counts it.
type counter struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (c *counter) OnFile(_ context.Context, _ listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	if c.n.Add(1) == c.want {
		close(c.done)
	}
	return nil
}

// deleteCounter is the Go service of the ready-event runs: it counts
// deletions and notes when the first and the last arrived.
type deleteCounter struct {
	n           atomic.Int64
	want        int64
	first, last time.Time
	done        chan struct{}
}

func (d *deleteCounter) OnFileDelete(_ context.Context, _ string, _ *listener.Caller) error {
	switch d.n.Add(1) {
	case 1:
		d.first = time.Now()
	case d.want:
		d.last = time.Now()
		close(d.done)
	}
	return nil
}

func main() {
	out := flag.String("out", "", "write the Markdown report here")
	files := flag.Int("files", 3000, "files of 1 KiB")
	runs := flag.Int("runs", 3, "runs of each consumer; the medians are reported")
	jar := flag.String("jar", "", "the bindings' JAR (default: bindings/java/target/ftpcoord-*.jar)")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))

	if *jar == "" {
		m, _ := filepath.Glob("bindings/java/target/ftpcoord-*.jar")
		// make java also leaves the -sources and -javadoc JARs beside it.
		m = slices.DeleteFunc(m, func(p string) bool {
			return strings.HasSuffix(p, "-sources.jar") || strings.HasSuffix(p, "-javadoc.jar")
		})
		if len(m) == 0 {
			benchenv.Fatal(fmt.Errorf("no bindings/java/target/ftpcoord-*.jar: run make java first"))
		}
		*jar = m[0]
	}
	addr := benchenv.Need("FTPCOORD_TEST_PUREFTPD_ADDR")
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	dir := fmt.Sprintf("bench-jni-%d", os.Getpid())
	local := filepath.Join(benchenv.Need("FTPCOORD_TEST_PUREFTPD_ROOT"), dir)
	fill(local, *files)
	defer os.RemoveAll(local)
	// The files are complete before the clock starts: no settleTime wait.
	cfg := listener.ListenerConfig{Host: host, Port: p, Path: "/" + dir, PollingInterval: 3600, SettleTime: new(0.0),
		Auth: &listener.Auth{Credentials: &listener.Credentials{
			Username: benchenv.Need("FTPCOORD_TEST_PUREFTPD_USER"), Password: benchenv.Need("FTPCOORD_TEST_PUREFTPD_PASSWORD")}}}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		benchenv.Fatal(err)
	}

	tmp, err := os.MkdirTemp("", "bench-jni-")
	if err != nil {
		benchenv.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	cHost := filepath.Join(tmp, "host")
	wd, _ := os.Getwd()
	if out, err := exec.Command("gcc", "-std=c11", "-O2", "-Wall", "-Werror", "-o", cHost, "bench/jni/hosts/host.c",
		"-Ibuild", "-Lbuild", "-lftpcoord", "-Wl,-rpath,"+filepath.Join(wd, "build")).CombinedOutput(); err != nil {
		benchenv.Fatal(fmt.Errorf("gcc bench/jni/hosts/host.c (run make lib first): %v: %s", err, out))
	}

	consumers := []struct {
		name string
		run  func() (result, error)
	}{
		{"Go service (in process, no boundary)", func() (result, error) {
			if _, err := goRun(cfg, *files); err != nil { // warm-up, as in the hosts
				return result{}, err
			}
			return goRun(cfg, *files)
		}},
		{"C host (host.c: poll, read, ack)", func() (result, error) {
			return hostRun(exec.Command(cHost, string(cfgJSON), strconv.Itoa(*files)))
		}},
		{"Java host (FtpListener, Service.onFile)", func() (result, error) {
			return hostRun(exec.Command("java", "-cp", *jar, "bench/jni/hosts/JavaHost.java", string(cfgJSON), strconv.Itoa(*files)))
		}},
	}
	var b strings.Builder
	b.WriteString("# Cost of one event across the C ABI and JNI\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/jni %s` (via `make bench`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \nMachine: %d CPUs, %s, %s; pure-ftpd of tests/services on loopback.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), javaVersion())
	fmt.Fprintf(&b, "Medians of %d runs each. %d files of 1 KiB, one listener without coordination, one worker: every "+
		"consumer gets the same %d file events and reads each file to the end. **Boundary CPU per event** is the host "+
		"thread's CPU time (CLOCK_THREAD_CPUTIME_ID; ThreadMXBean in Java) between the end of one handler and the start "+
		"of the next: the ack, the poll, the event's JSON and (Java) the dispatch; waiting for the next event costs no CPU, "+
		"but waking the waiting thread does (Go parks and wakes the host's thread). Every consumer runs two listeners over "+
		"the files one after the other and reports the second (the first warms the JIT and the Go runtime up). **Empty poll** is one poll with timeout 0 on an empty queue: the "+
		"bare crossing (C -> Go; Java -> JNI -> C -> Go), no event, no wait. "+
		"Wall per file compares the whole pipeline with the Go service's. Target: under 20 µs per event from Java.\n\n",
		*runs, *files, *files)
	b.WriteString("| consumer | wall | wall per file | vs Go | boundary CPU per event (median) | (mean) | empty poll |\n|---|---|---|---|---|---|---|\n")
	var goWall time.Duration
	for i, c := range consumers {
		var rs []result
		for range *runs {
			r, err := c.run()
			if err != nil {
				benchenv.Fatal(fmt.Errorf("%s: %w", c.name, err))
			}
			rs = append(rs, r)
		}
		r := medians(rs)
		perFile := r.wall / time.Duration(*files)
		if i == 0 {
			goWall = r.wall
			fmt.Fprintf(&b, "| %s | %v | %v | | n/a | n/a | n/a |\n", c.name, r.wall.Round(time.Millisecond), perFile.Round(100*time.Nanosecond))
			continue
		}
		delta := (r.wall - goWall) / time.Duration(*files)
		fmt.Fprintf(&b, "| %s | %v | %v | %+v per file | %v | %v | %v |\n", c.name, r.wall.Round(time.Millisecond),
			perFile.Round(100*time.Nanosecond), delta.Round(100*time.Nanosecond),
			r.median.Round(10*time.Nanosecond), r.mean.Round(10*time.Nanosecond), r.empty)
	}

	// Ready events: deletions, which the library queues without waiting
	// for the host, so every poll finds its event ready.
	delCfg := cfg
	delCfg.PollingInterval = 0.2
	delJSON, _ := json.Marshal(delCfg)
	fmt.Fprintf(&b, "\n## Ready events\n\nThe same %d files, deleted after the listener listed them: the library queues the %d "+
		"delete events without waiting for the host (no ack), so each poll finds its event ready and the host thread never "+
		"waits. Per event, from the first delete event to the last: the host thread's CPU time (poll, the event's JSON, "+
		"and in Java the dispatch to Service.onFileDelete) and the wall time; Go's is its OnFileDelete callback rate. "+
		"One listener per run, without a warm-up pass: the JVM's JIT compilers still share the 2 CPUs, hence Java's wall.\n\n"+
		"Reading: the bare crossing costs about the same from C and Java (JNI adds little to cgo); a ready event costs a few "+
		"microseconds; an event the host waited for costs more, in C as in Java, because Go must wake the parked host "+
		"thread; the wall-time difference against the in-process Go service is that hand-off's latency, paid once per "+
		"event by any host with one worker (more workers overlap it).\n\n",
		*files, *files)
	b.WriteString("| consumer | CPU per event (host thread) | wall per event |\n|---|---|---|\n")
	readies := []struct {
		name string
		run  func() (result, error)
	}{
		{"Go service (in process)", func() (result, error) { return goDeletes(delCfg, local, *files) }},
		{"C host", func() (result, error) {
			return readyRun(exec.Command(cHost, string(delJSON), strconv.Itoa(*files), "deletes"), local)
		}},
		{"Java host", func() (result, error) {
			return readyRun(exec.Command("java", "-cp", *jar, "bench/jni/hosts/JavaHost.java", string(delJSON), strconv.Itoa(*files), "deletes"), local)
		}},
	}
	for _, c := range readies {
		var rs []result
		for range *runs {
			fill(local, *files)
			r, err := c.run()
			if err != nil {
				benchenv.Fatal(fmt.Errorf("%s: %w", c.name, err))
			}
			rs = append(rs, r)
		}
		r := medians(rs)
		cpu := "n/a"
		if r.median > 0 {
			cpu = r.median.Round(10 * time.Nanosecond).String()
		}
		fmt.Fprintf(&b, "| %s | %s | %v |\n", c.name, cpu, r.wall.Round(10*time.Nanosecond))
	}
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

func fill(dir string, n int) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		benchenv.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	body := bytes.Repeat([]byte("x"), 1024)
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.dat", i)), body, 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

func goRun(cfg listener.ListenerConfig, n int) (result, error) {
	l, err := listener.New(cfg)
	if err != nil {
		return result{}, err
	}
	c := &counter{want: int64(n), done: make(chan struct{})}
	if err := l.Attach(c); err != nil {
		return result{}, err
	}
	if err := l.Start(context.Background()); err != nil {
		return result{}, err
	}
	t0 := time.Now()
	select {
	case <-c.done:
	case <-time.After(5 * time.Minute):
		return result{}, fmt.Errorf("only %d of %d files in 5 minutes", c.n.Load(), n)
	}
	wall := time.Since(t0)
	return result{wall: wall}, l.Stop(context.Background())
}

// goDeletes is the ready-event run of the Go service: list, delete, count.
func goDeletes(cfg listener.ListenerConfig, local string, n int) (result, error) {
	l, err := listener.New(cfg)
	if err != nil {
		return result{}, err
	}
	d := &deleteCounter{want: int64(n), done: make(chan struct{})}
	if err := l.Attach(d); err != nil {
		return result{}, err
	}
	if err := l.Start(context.Background()); err != nil {
		return result{}, err
	}
	defer l.Stop(context.Background())
	time.Sleep(1500 * time.Millisecond) // a few polls list the files, as in the hosts
	if err := empty(local); err != nil {
		return result{}, err
	}
	select {
	case <-d.done:
	case <-time.After(5 * time.Minute):
		return result{}, fmt.Errorf("only %d of %d deletions in 5 minutes", d.n.Load(), n)
	}
	return result{wall: d.last.Sub(d.first) / time.Duration(n-1)}, nil
}

// empty swaps the directory for an empty one in two renames, so that one
// poll sees every file gone (deleting them one by one would spread the
// deletions over several polls).
func empty(dir string) error {
	fresh, gone := dir+".fresh", dir+".gone"
	if err := os.Mkdir(fresh, 0o777); err != nil {
		return err
	}
	os.Chmod(fresh, 0o777)
	if err := os.Rename(dir, gone); err != nil {
		return err
	}
	if err := os.Rename(fresh, dir); err != nil {
		return err
	}
	return os.RemoveAll(gone)
}

// readyRun runs a host program in its ready-event mode: once it says it is
// listening, the directory is emptied.
func readyRun(cmd *exec.Cmd, local string) (result, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	sc := bufio.NewScanner(stdout)
	var line string
	for sc.Scan() {
		line = sc.Text()
		if line == "listening" {
			if err := empty(local); err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				return result{}, err
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		return result{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var events, cpu, wall int64
	if _, err := fmt.Sscanf(line, "events=%d ready_cpu_ns=%d ready_wall_ns=%d", &events, &cpu, &wall); err != nil {
		return result{}, fmt.Errorf("unexpected output %q: %v", line, err)
	}
	return result{wall: time.Duration(wall), median: time.Duration(cpu)}, nil
}

// hostRun runs a host program and reads its one line of results.
func hostRun(cmd *exec.Cmd) (result, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var events, wall, median, mean, empty int64
	line := strings.TrimSpace(string(out))
	if i := strings.LastIndex(line, "\n"); i >= 0 {
		line = line[i+1:]
	}
	if _, err := fmt.Sscanf(line, "events=%d wall_ns=%d gap_cpu_median_ns=%d gap_cpu_mean_ns=%d empty_poll_ns=%d",
		&events, &wall, &median, &mean, &empty); err != nil {
		return result{}, fmt.Errorf("unexpected output %q: %v", out, err)
	}
	return result{wall: time.Duration(wall), median: time.Duration(median), mean: time.Duration(mean), empty: time.Duration(empty)}, nil
}

func medians(rs []result) result {
	pick := func(f func(result) time.Duration) time.Duration {
		v := make([]time.Duration, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return result{wall: pick(func(r result) time.Duration { return r.wall }),
		median: pick(func(r result) time.Duration { return r.median }),
		mean:   pick(func(r result) time.Duration { return r.mean }),
		empty:  pick(func(r result) time.Duration { return r.empty })}
}

func javaVersion() string {
	out, err := exec.Command("java", "-version").CombinedOutput()
	if err != nil {
		return "java ?"
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first)
}
