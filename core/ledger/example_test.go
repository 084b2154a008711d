package ledger_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// A file version's life in the ledger: recorded PENDING, claimed under a
// lease, committed DONE. In shared mode every member claims, and the claim
// token fences each claim (term 0); in warm-backup mode the active member's
// fencing term does. SQLite keeps the example offline; PostgreSQL and MySQL
// take the same calls.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dbc := taskcompat.DatabaseConfig{Type: "sqlite", Database: filepath.Join(dir, "coord.db")}
	db, err := taskcompat.OpenDB(dbc, "UTC", 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := schema.Apply(ctx, db, schema.SQLite); err != nil { // the coordination tables and the ledger's
		log.Fatal(err)
	}
	lg, err := ledger.New(ctx, ledger.Config{DB: db, Dialect: schema.SQLite, GroupID: "inbox", MemberID: "a", Mode: ledger.Shared})
	if err != nil {
		log.Fatal(err)
	}

	mtime := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC).UnixMilli()
	n, err := lg.Record(ctx, []ledger.File{{Path: "/in/a.csv", Size: 2, MTime: mtime}, {Path: "/in/b.csv", Size: 3, MTime: mtime + 1}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("recorded:", n)

	claims, err := lg.Claim(ctx, 10, time.Minute, 0)
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range claims {
		fmt.Println("claimed:", c.File.Path, "try", c.Tries)
	}
	lost, err := lg.CommitAll(ctx, claims)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lost:", len(lost))

	counts, err := lg.Counts(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("done:", counts[ledger.Done])
	// Output:
	// recorded: 2
	// claimed: /in/a.csv try 1
	// claimed: /in/b.csv try 1
	// lost: 0
	// done: 2
}
