// Command endtoend measures files per second through one listener member
// with the ledger (PostgreSQL) and 8 workers, against a bare download loop
// over the same files with the same client library and as many connections.
//
//	eval "$(tests/services/start.sh postgres pureftpd)"; go run ./bench/endtoend -out bench/endtoend.md
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"

	"github.com/jlaffaye/ftp"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// counter is a service that reads every file and counts it. With the
// ledger it counts commits instead (it is the listener's Observer too): a
// file is through once it is DONE, not when its handler returned.
type counter struct {
	n         atomic.Int64
	done      chan struct{}
	want      int64
	once      sync.Once
	committed bool // count commits, not handler returns
}

func (c *counter) OnFile(_ context.Context, f listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	if !c.committed {
		c.add(1)
	}
	return nil
}

func (c *counter) add(n int) {
	if c.n.Add(int64(n)) >= c.want {
		c.once.Do(func() { close(c.done) })
	}
}

func (c *counter) FilesFinished(outcome string, n int) {
	if c.committed && outcome == "done" {
		c.add(n)
	}
}
func (c *counter) PollDone(time.Duration, error)      {}
func (c *counter) LeasesRenewed(int)                  {}
func (c *counter) DatabaseError(op string, err error) {}

func main() {
	out := flag.String("out", "", "write the Markdown report here")
	files := flag.Int("files", 10000, "small files")
	workers := flag.Int("workers", 8, "listener workers and bare-loop connections")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the listener runs here")
	runs := flag.Int("runs", 5, "runs of each side, interleaved; the medians are reported")
	only := flag.String("only", "", "measure one protocol only: ftp or sftp")
	batch := flag.Int("batch", 1000, "the listener's maxFilesPerPoll: files claimed at a time (at least 1)")
	flag.Parse()
	if *batch < 1 {
		benchenv.Fatal(fmt.Errorf("-batch %d: must be at least 1", *batch))
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var targets []target
	if *only != "sftp" {
		targets = append(targets, ftpTarget())
	}
	if *only != "ftp" {
		targets = append(targets, sftpTarget())
	}
	var b strings.Builder
	b.WriteString("# End-to-end benchmark\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/endtoend %s` (via `make bench`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \nMachine: %d CPUs, %s; pure-ftpd, OpenSSH and PostgreSQL of tests/services on loopback.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "Medians of %d runs each. %d files of 1 KiB. The bare loop downloads them with the client library "+
		"(jlaffaye/ftp; pkg/sftp through core/remote) over %d connections, one goroutine each. The listener is one member with "+
		"coordination and the ledger (PostgreSQL), %d workers and %d connections, claiming %d files at a time "+
		"(maxFilesPerPoll): it lists, records (the oldest batch already claimed), claims the rest, downloads, hands "+
		"each file to a handler that reads it, and commits; its clock starts once Start returned (the member joined its group) "+
		"and stops at the last file's commit. "+
		"Target: within 1.5x of the bare loop. The last columns run the same listener without coordination (no ledger, no "+
		"database; the same workers): what the listener costs apart from the ledger.\n\n", *runs, *files, *workers, *workers, *workers, *batch)
	b.WriteString("| protocol | bare download loop | files/s | listener + ledger | files/s | ratio | listener, no coordination | ratio |\n|---|---|---|---|---|---|---|---|\n")
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			benchenv.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var cpuRows, spreads []string
	for _, t := range targets {
		dir := "bench-e2e"
		local := filepath.Join(t.root, dir)
		names := fill(local, *files)
		var bares, throughs, plains []time.Duration
		var bareCPU, throughCPU, plainCPU []cpuUse
		for range *runs {
			bare, bareUse, err := bareLoop(t, t.remote(dir), names, *workers)
			if err != nil {
				benchenv.Fatal(fmt.Errorf("%s: %w", t.name, err))
			}
			bares, bareCPU = append(bares, bare), append(bareCPU, bareUse)
			through, throughUse, err := throughListener(t.config(t.remote(dir)), *files, *workers, *batch)
			if err != nil {
				benchenv.Fatal(fmt.Errorf("%s: %w", t.name, err))
			}
			throughs, throughCPU = append(throughs, through), append(throughCPU, throughUse)
			plain, plainUse, err := throughListener(t.config(t.remote(dir)), *files, *workers, 0)
			if err != nil {
				benchenv.Fatal(fmt.Errorf("%s without coordination: %w", t.name, err))
			}
			plains, plainCPU = append(plains, plain), append(plainCPU, plainUse)
		}
		os.RemoveAll(local)
		var ratios []float64
		for i := range bares {
			ratios = append(ratios, throughs[i].Seconds()/bares[i].Seconds())
		}
		slices.Sort(ratios)
		spreads = append(spreads, fmt.Sprintf("%s %.2fx-%.2fx (bare loop %v-%v)", t.name, ratios[0], ratios[len(ratios)-1],
			slices.Min(bares).Round(time.Millisecond), slices.Max(bares).Round(time.Millisecond)))
		bare, through, plain := median(bares), median(throughs), median(plains)
		fmt.Fprintf(&b, "| %s | %v | %.0f | %v | %.0f | %.2fx | %v | %.2fx |\n", t.name, bare.Round(time.Millisecond), float64(*files)/bare.Seconds(),
			through.Round(time.Millisecond), float64(*files)/through.Seconds(), through.Seconds()/bare.Seconds(),
			plain.Round(time.Millisecond), plain.Seconds()/bare.Seconds())
		cpuRows = append(cpuRows, fmt.Sprintf("| %s | bare loop | %s |", t.name, medianCPU(bareCPU)),
			fmt.Sprintf("| %s | listener + ledger | %s |", t.name, medianCPU(throughCPU)),
			fmt.Sprintf("| %s | listener, no coordination | %s |", t.name, medianCPU(plainCPU)))
	}
	fmt.Fprintf(&b, "\nThe ratio is that of the medians. Each run pairs a bare loop with a listener run right after it; "+
		"the ratios of those pairs ranged over %s.\n", strings.Join(spreads, "; "))
	b.WriteString("\nWhere the time goes: CPU seconds used while each run's clock ran (medians): on the whole machine (/proc/stat), by this " +
		"process (the bare loop's client, or the member; getrusage), by the file server's processes and by PostgreSQL's " +
		"(/proc/PID/stat, children included). The rest is the kernel's network work and other processes. The machine has " +
		strconv.Itoa(runtime.NumCPU()) + " cores: when a run keeps them all busy, every CPU second the database spends on the " +
		"ledger is wall time.\n\n")
	b.WriteString("| protocol | run | machine | this process | file server | PostgreSQL |\n|---|---|---|---|---|---|\n")
	for _, r := range cpuRows {
		b.WriteString(r + "\n")
	}
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

// target is one protocol's test server: where its files live, how the bare
// loop opens a file with the client library, and the listener's settings.
type target struct {
	name   string
	root   string
	remote func(dir string) string
	// connect opens one bare connection and returns its file opener and closer.
	connect func() (open func(path string) (io.ReadCloser, error), close func(), err error)
	config  func(remoteDir string) listener.ListenerConfig
}

func ftpTarget() target {
	addr, user, pass := benchenv.Need("FTPCOORD_TEST_PUREFTPD_ADDR"), benchenv.Need("FTPCOORD_TEST_PUREFTPD_USER"), benchenv.Need("FTPCOORD_TEST_PUREFTPD_PASSWORD")
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	return target{name: "FTP (pure-ftpd)", root: benchenv.Need("FTPCOORD_TEST_PUREFTPD_ROOT"),
		remote: func(dir string) string { return "/" + dir },
		connect: func() (func(string) (io.ReadCloser, error), func(), error) {
			c, err := ftp.Dial(addr)
			if err == nil {
				err = c.Login(user, pass)
			}
			if err != nil {
				return nil, nil, err
			}
			return func(p string) (io.ReadCloser, error) { return c.Retr(p) }, func() { c.Quit() }, nil
		},
		config: func(d string) listener.ListenerConfig {
			return listener.ListenerConfig{Host: host, Port: p, Path: d,
				Auth: &listener.Auth{Credentials: &listener.Credentials{Username: user, Password: pass}}}
		}}
}

func sftpTarget() target {
	addr, user, key, kh := benchenv.Need("FTPCOORD_TEST_SFTP_ADDR"), benchenv.Need("FTPCOORD_TEST_SFTP_USER"),
		benchenv.Need("FTPCOORD_TEST_SFTP_KEY"), benchenv.Need("FTPCOORD_TEST_SFTP_KNOWN_HOSTS")
	root := benchenv.Need("FTPCOORD_TEST_SFTP_ROOT")
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	return target{name: "SFTP (OpenSSH)", root: root,
		remote: func(dir string) string { return filepath.Join(root, dir) },
		connect: func() (func(string) (io.ReadCloser, error), func(), error) {
			c, err := remote.DialSFTP(context.Background(), remote.SFTPConfig{Addr: addr, User: user, PrivateKeyPath: key, KnownHostsPath: kh})
			if err != nil {
				return nil, nil, err
			}
			return func(p string) (io.ReadCloser, error) { return c.Open(context.Background(), p, 0) }, func() { c.Close() }, nil
		},
		config: func(d string) listener.ListenerConfig {
			return listener.ListenerConfig{Protocol: listener.SFTP, Host: host, Port: p, Path: d, SftpSshKnownHosts: kh,
				Auth: &listener.Auth{Credentials: &listener.Credentials{Username: user}, PrivateKey: &listener.PrivateKey{Path: key}}}
		}}
}

// fill makes n files of 1 KiB, an hour old, and returns their names.
func fill(local string, n int) []string {
	os.RemoveAll(local)
	os.MkdirAll(local, 0o755)
	old := time.Now().Add(-time.Hour)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("msg-%06d.xml", i)
		p := filepath.Join(local, names[i])
		os.WriteFile(p, []byte(strings.Repeat("x", 1024)), 0o644)
		os.Chtimes(p, old, old)
	}
	return names
}

// bareLoop returns the time the downloads took and the CPU used meanwhile.
func bareLoop(t target, dir string, names []string, workers int) (time.Duration, cpuUse, error) {
	opens := make([]func(string) (io.ReadCloser, error), workers)
	for i := range opens {
		open, closeConn, err := t.connect()
		if err != nil {
			return 0, cpuUse{}, err
		}
		defer closeConn()
		opens[i] = open
	}
	c0, t0 := readCPU(), time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(names); i += workers {
				r, err := opens[w](dir + "/" + names[i])
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, r)
				r.Close()
			}
		}()
	}
	wg.Wait()
	wall, use := time.Since(t0), readCPU().since(c0)
	select {
	case err := <-errs:
		return 0, use, err
	default:
	}
	return wall, use, nil
}

// throughListener returns the time the listener took and the CPU used
// meanwhile (from Start's return to the last file's commit, or its handler
// without coordination). It claims
// batch files at a time through the ledger; with batch 0 it runs without
// coordination.
func throughListener(cfg listener.ListenerConfig, files, workers, batch int) (time.Duration, cpuUse, error) {
	ctx := context.Background()
	cfg.PollingInterval = 0.05
	// The files are complete before the clock starts: without the guard's
	// wait (settleTime, one second once, plus one more listing).
	cfg.SettleTime = new(0.0)
	cfg.Workers, cfg.MaxConnections = workers, workers
	if batch > 0 {
		db, _, cleanup, err := testdb.Bench(ctx, schema.Postgres)
		if err != nil {
			return 0, cpuUse{}, err
		}
		defer cleanup()
		cfg.Coordination = &taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: "bench", CoordinationGroup: "e2e"}
		cfg.MaxFilesPerPoll = batch
	}
	c := &counter{done: make(chan struct{}), want: int64(files), committed: batch > 0}
	l, err := listener.New(cfg, listener.WithObserver(c))
	if err != nil {
		return 0, cpuUse{}, err
	}
	l.Attach(c)
	// Joining the group (connecting, checking the schema, the first
	// election) is start-up, not throughput: the clock starts when Start
	// returns, as the first poll begins to list the directory.
	if err := l.Start(ctx); err != nil {
		return 0, cpuUse{}, err
	}
	c0, t0 := readCPU(), time.Now()
	defer l.Stop(ctx)
	select {
	case <-c.done:
	case <-time.After(10 * time.Minute):
		return 0, cpuUse{}, fmt.Errorf("only %d of %d files after 10 minutes", c.n.Load(), files)
	}
	return time.Since(t0), readCPU().since(c0), nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// cpuUse is CPU time spent on the whole machine, by this process, by the
// database's processes and by the file servers' processes.
type cpuUse struct{ machine, self, db, server time.Duration }

func (c cpuUse) since(before cpuUse) cpuUse {
	return cpuUse{machine: c.machine - before.machine, self: c.self - before.self,
		db: c.db - before.db, server: c.server - before.server}
}

// procCPU sums the CPU time of the processes with one of these names, with
// that of their waited-for children: a server's exited worker processes
// count in their parent, which has the same name.
func procCPU(names ...string) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		open, close := strings.IndexByte(string(b), '('), strings.LastIndexByte(string(b), ')')
		if open < 0 || close < open || !slices.Contains(names, string(b[open+1:close])) {
			continue
		}
		f := strings.Fields(string(b[close+1:]))
		for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime (fields 14-17)
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// readCPU reads the machine's busy time (/proc/stat: all but idle and
// iowait) and this process's user and system time.
func readCPU() cpuUse {
	var out cpuUse
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		var busy int64
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			if i != 3 && i != 4 && i < 8 { // idle, iowait; guest times are inside user
				busy += n
			}
		}
		out.machine = time.Duration(busy) * time.Second / 100 // USER_HZ
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		out.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	out.db = procCPU("postgres")
	out.server = procCPU("pure-ftpd", "sshd", "sftp-server")
	return out
}

func medianCPU(c []cpuUse) string {
	m := make([]time.Duration, len(c))
	sf := make([]time.Duration, len(c))
	db := make([]time.Duration, len(c))
	sv := make([]time.Duration, len(c))
	for i := range c {
		m[i], sf[i], db[i], sv[i] = c[i].machine, c[i].self, c[i].db, c[i].server
	}
	return fmt.Sprintf("%.2f s | %.2f s | %.2f s | %.2f s", median(m).Seconds(), median(sf).Seconds(), median(sv).Seconds(), median(db).Seconds())
}
