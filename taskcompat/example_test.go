package taskcompat_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

// One member of a coordination group: alone, it takes the token and is
// told so (OnBecameActive); its fencing token goes with every write made
// for the active member; Stop hands the token over at once. SQLite keeps the
// example offline; PostgreSQL and MySQL groups, Ballerina nodes among them,
// take the same configuration with their database.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "coordination-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dbc := taskcompat.DatabaseConfig{Type: "sqlite", Database: filepath.Join(dir, "coord.db")}
	db, err := taskcompat.OpenDB(dbc, "UTC", 5*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	if err := schema.Apply(ctx, db, schema.SQLite); err != nil {
		log.Fatal(err)
	}
	db.Close()

	active := make(chan taskcompat.Event, 1)
	lost := make(chan taskcompat.Event, 1)
	c, err := taskcompat.New(ctx, taskcompat.Config{Database: dbc, TaskID: "a", GroupID: "inbox"},
		taskcompat.WithCallbacks(taskcompat.Callbacks{
			OnBecameActive: func(e taskcompat.Event) { active <- e },
			OnLostActive:   func(e taskcompat.Event) { lost <- e },
		}))
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		log.Fatal(err)
	}
	e := <-active
	term, ok := c.FencingToken()
	fmt.Println("active:", ok, "term:", term == e.Term)

	if err := c.Stop(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("lost:", (<-lost).Reason)
	// Output:
	// active: true term: true
	// lost: stopped
}
