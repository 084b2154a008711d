// Command ledger measures the ledger's throughput on the real test
// databases: record, claim and commit of many file versions in batches, the
// transitions per second and the database statements per file.
//
//	go run ./bench/ledger -out bench/ledger.md
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/benchenv"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
)

type result struct {
	dialect      schema.Dialect
	files        int
	elapsed      time.Duration
	statements   int64
	record, work time.Duration
}

func main() {
	out := flag.String("out", "", "write the Markdown report here")
	n := flag.Int("files", 100000, "file versions")
	batch := flag.Int("batch", 500, "claim and commit batch size")
	dialects := flag.String("dialects", "postgresql,mysql,sqlite", "dialects to measure")
	flag.Parse()
	var results []result
	for _, name := range strings.Split(*dialects, ",") {
		d, err := schema.ParseDialect(name)
		if err != nil {
			benchenv.Fatal(err)
		}
		r, err := measure(d, *n, *batch)
		if err != nil {
			benchenv.Fatal(fmt.Errorf("%s: %w", d, err))
		}
		results = append(results, r)
	}
	var b strings.Builder
	b.WriteString("# Ledger benchmark\n\n")
	fmt.Fprintf(&b, "Command: `go run ./bench/ledger %s` (via `make bench`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s  \nMachine: %d CPUs, %s; servers of tests/services on loopback.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "%d file versions are recorded (batches of 500), then claimed and committed in batches of %d by one member in "+
		"warm-backup mode (every claim and commit fenced by its term). A transition is one state change of one version "+
		"(new -> PENDING -> IN_PROGRESS -> DONE: 3 per file). Statements are counted by the server. Targets: at least 5,000 "+
		"transitions per second on PostgreSQL; at most 0.2 statements per file. SQLite is a file on the local disk "+
		"(WAL, synchronous FULL); it has no server to count statements.\n\n", *n, *batch)
	b.WriteString("| dialect | files | record | claim + commit | transitions/s | statements per file |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		perFile := "n/a"
		if r.statements >= 0 {
			perFile = fmt.Sprintf("%.3f", float64(r.statements)/float64(r.files))
		}
		fmt.Fprintf(&b, "| %s | %d | %v | %v | %.0f | %s |\n", r.dialect, r.files, r.record.Round(time.Millisecond),
			r.work.Round(time.Millisecond), float64(3*r.files)/r.elapsed.Seconds(), perFile)
	}
	fmt.Print(b.String())
	if *out != "" {
		if err := os.WriteFile(*out, []byte(b.String()), 0o644); err != nil {
			benchenv.Fatal(err)
		}
	}
}

func measure(d schema.Dialect, n, batch int) (result, error) {
	ctx := context.Background()
	r := result{dialect: d, files: n}
	_, db, cleanup, err := testdb.Bench(ctx, d)
	if err != nil {
		return r, err
	}
	defer cleanup()
	if _, err := db.Exec(testdb.Q(d, `INSERT INTO token_holder (task_id, group_id, term) VALUES ('m', 'bench', 1)`)); err != nil {
		return r, err
	}
	l, err := ledger.New(ctx, ledger.Config{DB: db, Dialect: d, GroupID: "bench", MemberID: "m"})
	if err != nil {
		return r, err
	}
	files := make([]ledger.File, n)
	for i := range files {
		files[i] = ledger.File{Path: fmt.Sprintf("/inbox/invoice-%07d.xml", i), Size: int64(1000 + i), MTime: int64(1_760_000_000_000 + i)}
	}
	count := func() (int64, error) {
		if d == schema.SQLite {
			return 0, nil
		}
		return testdb.ServerStatements(db, d)
	}
	before, err := count()
	if err != nil {
		return r, err
	}
	t0 := time.Now()
	if k, err := l.Record(ctx, files); err != nil || k != n {
		return r, fmt.Errorf("record: %d, %v", k, err)
	}
	r.record = time.Since(t0)
	t1 := time.Now()
	done := 0
	for {
		claims, err := l.Claim(ctx, batch, time.Minute, 1)
		if err != nil {
			return r, err
		}
		if len(claims) == 0 {
			break
		}
		lost, err := l.CommitAll(ctx, claims)
		if err != nil || len(lost) > 0 {
			return r, fmt.Errorf("commit: %d lost, %v", len(lost), err)
		}
		done += len(claims)
	}
	r.work = time.Since(t1)
	r.elapsed = time.Since(t0)
	after, err := count()
	if err != nil {
		return r, err
	}
	r.statements = after - before - 1 // -1 on SQLite: not counted
	if done != n {
		return r, fmt.Errorf("completed %d of %d", done, n)
	}
	return r, nil
}
