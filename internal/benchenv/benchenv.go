// Package benchenv holds what the benchmark commands share: reading the
// test servers' settings from the environment and failing loudly.
package benchenv

import (
	"database/sql"
	"fmt"
	"os"

	"github.com/ftpcoord/ftpcoord/schema"
)

// Need returns the value of a variable tests/services/start.sh exports, or
// exits with a hint.
func Need(name string) string {
	v := os.Getenv(name)
	if v == "" {
		Fatal(fmt.Errorf("%s is not set: eval \"$(tests/services/start.sh)\" first, or run make bench", name))
	}
	return v
}

// Fatal prints err and exits non-zero.
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// ServerVersion names the database server a benchmark ran on, for its
// report ("" when it cannot be read).
func ServerVersion(db *sql.DB, d schema.Dialect) string {
	q := "SELECT version()"
	if d == schema.SQLite {
		q = "SELECT 'SQLite ' || sqlite_version()"
	}
	var v string
	db.QueryRow(q).Scan(&v)
	return v
}
