package listener_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ftpcoord/ftpcoord/core/ledger"
	"github.com/ftpcoord/ftpcoord/core/listener"
	"github.com/ftpcoord/ftpcoord/core/remote/memconn"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// printer is a service that prints each file it is handed.
type printer struct{ done chan string }

func (p printer) OnFile(_ context.Context, f listener.FileInfo, content io.Reader, _ *listener.Caller) error {
	b, err := io.ReadAll(content)
	if err != nil {
		return err // a failed attempt: retried with the ledger
	}
	fmt.Printf("%s: %q (try %d)\n", f.Path, b, max(1, f.Attempt))
	if p.done != nil {
		p.done <- f.Path
	}
	return nil
}

// A listener without coordination, polled by its host (PollOnce; Start
// polls every pollingInterval instead). The in-memory server (memconn)
// stands for an FTP server here: WithDialer replaces the connection that
// protocol, host and port describe.
func Example() {
	srv := memconn.New()
	old := time.Now().Add(-time.Hour)
	srv.WriteFile("/in/a.csv", "1,2", old)
	srv.WriteFile("/in/b.csv", "3,4", old.Add(time.Minute))

	l, err := listener.New(listener.ListenerConfig{Protocol: listener.FTP, Host: "ftp.example.com", Port: 21, Path: "/in"},
		listener.WithDialer(srv.Dialer()))
	if err != nil {
		log.Fatal(err)
	}
	defer l.Stop(context.Background())
	if err := l.Attach(printer{}); err != nil {
		log.Fatal(err)
	}
	if err := l.PollOnce(context.Background()); err != nil { // oldest first
		log.Fatal(err)
	}
	if err := l.PollOnce(context.Background()); err != nil { // nothing new
		log.Fatal(err)
	}
	// Output:
	// /in/a.csv: "1,2" (try 1)
	// /in/b.csv: "3,4" (try 1)
}

// A coordinated listener: the member that holds the group's token polls,
// and every file version goes through the ledger, in the coordination
// database (SQLite here, to run offline; PostgreSQL or MySQL for members on
// several hosts). Stop hands the token to a standby at once.
func Example_coordination() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "listener-example")
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
	if err := schema.Apply(ctx, db, schema.SQLite); err != nil {
		log.Fatal(err)
	}

	srv := memconn.New()
	srv.WriteFile("/in/a.csv", "1,2", time.Now().Add(-time.Hour))
	cfg := listener.ListenerConfig{Protocol: listener.FTP, Host: "ftp.example.com", Port: 21, Path: "/in",
		Coordination: &taskcompat.CoordinationConfig{DatabaseConfig: dbc, MemberID: "a", CoordinationGroup: "inbox"}}
	l, err := listener.New(cfg, listener.WithDialer(srv.Dialer()))
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan string, 1)
	if err := l.Attach(printer{done: done}); err != nil {
		log.Fatal(err)
	}
	if err := l.Start(ctx); err != nil { // alone in its group, it becomes active and polls at once
		log.Fatal(err)
	}
	<-done
	if err := l.Stop(ctx); err != nil { // waits for the running poll: the file is committed
		log.Fatal(err)
	}
	lg, err := ledger.New(ctx, ledger.Config{DB: db, Dialect: schema.SQLite, GroupID: "inbox", MemberID: "a"})
	if err != nil {
		log.Fatal(err)
	}
	rows, err := lg.Show(ctx, "/in/a.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rows[0].Status)
	// Output:
	// /in/a.csv: "1,2" (try 1)
	// DONE
}
