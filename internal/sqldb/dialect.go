// Package sqldb is the database layer every package shares, below the
// coordination (taskcompat), the ledger and the schema: the dialects, one
// SQL text for all of them (Rebind), a server's pool opened with its TLS
// and session time zone, an SQLite file opened for several processes, and
// the retry of statements that meet SQLite's busy lock.
// What a configuration means (Ballerina's databaseConfig record, TLS
// options, error messages naming its fields) is taskcompat's.
package sqldb

import (
	"fmt"
	"slices"
	"strings"
)

// Dialect is an SQL dialect ftpcoord speaks.
type Dialect string

// The dialects, named as the "type" field of a database configuration.
const (
	Postgres Dialect = "postgresql"
	MySQL    Dialect = "mysql" // MySQL 8 and MariaDB 10.6+
	// SQLite is a database file on one host, shared by the processes of
	// that host (WAL mode); it needs no server. Ballerina has no SQLite
	// support, so an SQLite group has ftpcoord members only.
	SQLite Dialect = "sqlite"
)

// Dialects lists every supported dialect.
var Dialects = []Dialect{MySQL, Postgres, SQLite}

// ServerDialects lists the dialects of database servers, the ones that
// Ballerina nodes can share.
var ServerDialects = []Dialect{MySQL, Postgres}

// ParseDialect maps a configuration value to a Dialect.
func ParseDialect(s string) (Dialect, error) {
	switch Dialect(strings.ToLower(strings.TrimSpace(s))) {
	case Postgres, "postgres":
		return Postgres, nil
	case MySQL, "mariadb":
		return MySQL, nil
	case SQLite, "sqlite3":
		return SQLite, nil
	}
	return "", fmt.Errorf("unknown database type %q: use %q, %q or %q", s, MySQL, Postgres, SQLite)
}

// Valid reports whether d is a supported dialect.
func (d Dialect) Valid() bool { return slices.Contains(Dialects, d) }
