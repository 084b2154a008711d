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
	"time"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"

	"github.com/jlaffaye/ftp"

	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// counter is a service that reads every file and counts it.
type counter struct {
	n    atomic.Int64
	done chan struct{}
	want int64
	once sync.Once
}

func (c *counter) OnFile(_ context.Context, f listener.FileInfo, r io.Reader, _ *listener.Caller) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	if c.n.Add(1) == c.want {
		c.once.Do(func() { close(c.done) })
	}
	return nil
}

func main() {
	out := flag.String("out", "", "write the Markdown report here")
	files := flag.Int("files", 10000, "small files")
	workers := flag.Int("workers", 8, "listener workers and bare-loop connections")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the listener runs here")
	runs := flag.Int("runs", 3, "runs of each side; the medians are reported")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	addr, user, pass, root := benchenv.Need("FTPCOORD_TEST_PUREFTPD_ADDR"), benchenv.Need("FTPCOORD_TEST_PUREFTPD_USER"),
		benchenv.Need("FTPCOORD_TEST_PUREFTPD_PASSWORD"), benchenv.Need("FTPCOORD_TEST_PUREFTPD_ROOT")
	dir := "bench-e2e"
	local := filepath.Join(root, dir)
	os.RemoveAll(local)
	os.MkdirAll(local, 0o755)
	defer os.RemoveAll(local)
	old := time.Now().Add(-time.Hour)
	names := make([]string, *files)
	for i := range names {
		names[i] = fmt.Sprintf("msg-%06d.xml", i)
		p := filepath.Join(local, names[i])
		os.WriteFile(p, []byte(strings.Repeat("x", 1024)), 0o644)
		os.Chtimes(p, old, old)
	}

	var bares, throughs []time.Duration
	for range *runs {
		bare, err := bareLoop(addr, user, pass, "/"+dir, names, *workers)
		if err != nil {
			benchenv.Fatal(err)
		}
		bares = append(bares, bare)
	}
	bare := median(bares)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			benchenv.Fatal(err)
		}
		pprof.StartCPUProfile(f)
	}
	for range *runs {
		through, err := throughListener(addr, user, pass, "/"+dir, *files, *workers)
		if err != nil {
			benchenv.Fatal(err)
		}
		throughs = append(throughs, through)
	}
	pprof.StopCPUProfile()
	through := median(throughs)
	var b strings.Builder
	b.WriteString("# End-to-end benchmark\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/endtoend %s` (via `make bench`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \nMachine: %d CPUs, %s; pure-ftpd and PostgreSQL of tests/services on loopback.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "Medians of %d runs each. ", *runs)
	fmt.Fprintf(&b, "%d files of 1 KiB. The bare loop downloads them with jlaffaye/ftp over %d connections, %d goroutines. "+
		"The listener is one member with coordination and the ledger (PostgreSQL), %d workers and %d connections: it lists, "+
		"records, claims, downloads, hands each file to a handler that reads it, and commits; its clock starts once Start "+
		"returned (the member joined its group). Target: within 1.5x of the bare loop.\n\n",
		*files, *workers, *workers, *workers, *workers)
	b.WriteString("| | time | files/s |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| bare download loop | %v | %.0f |\n", bare.Round(time.Millisecond), float64(*files)/bare.Seconds())
	fmt.Fprintf(&b, "| listener + ledger | %v | %.0f |\n", through.Round(time.Millisecond), float64(*files)/through.Seconds())
	fmt.Fprintf(&b, "\nRatio: %.2fx the bare loop.\n", through.Seconds()/bare.Seconds())
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

func bareLoop(addr, user, pass, dir string, names []string, workers int) (time.Duration, error) {
	conns := make([]*ftp.ServerConn, workers)
	for i := range conns {
		c, err := ftp.Dial(addr)
		if err != nil {
			return 0, err
		}
		if err := c.Login(user, pass); err != nil {
			return 0, err
		}
		defer c.Quit()
		conns[i] = c
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(names); i += workers {
				r, err := conns[w].Retr(dir + "/" + names[i])
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
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return time.Since(t0), nil
}

func throughListener(addr, user, pass, dir string, files, workers int) (time.Duration, error) {
	ctx := context.Background()
	db, _, cleanup, err := testdb.Bench(ctx, schema.Postgres)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	host, port, _ := strings.Cut(addr, ":")
	p, _ := strconv.Atoi(port)
	cfg := listener.ListenerConfig{Host: host, Port: p, Path: dir, PollingInterval: 0.05,
		Auth:         &listener.Auth{Credentials: &listener.Credentials{Username: user, Password: pass}},
		Coordination: &taskcompat.CoordinationConfig{DatabaseConfig: db, MemberID: "bench", CoordinationGroup: "e2e"},
		Workers:      workers, MaxConnections: workers, MaxFilesPerPoll: 1000}
	l, err := listener.New(cfg)
	if err != nil {
		return 0, err
	}
	c := &counter{done: make(chan struct{}), want: int64(files)}
	l.Attach(c)
	// Joining the group (connecting, checking the schema, the first
	// election) is start-up, not throughput: the clock starts when Start
	// returns, as the first poll begins to list the directory.
	if err := l.Start(ctx); err != nil {
		return 0, err
	}
	t0 := time.Now()
	defer l.Stop(ctx)
	select {
	case <-c.done:
	case <-time.After(10 * time.Minute):
		return 0, fmt.Errorf("only %d of %d files after 10 minutes", c.n.Load(), files)
	}
	return time.Since(t0), nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
