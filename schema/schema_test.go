package schema

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDialect(t *testing.T) {
	for in, want := range map[string]Dialect{"mysql": MySQL, "MySQL": MySQL, "mariadb": MySQL, "postgresql": Postgres, " postgres ": Postgres, "sqlite": SQLite, "SQLite3": SQLite} {
		got, err := ParseDialect(in)
		if assert.NoError(t, err, "ParseDialect(%q)", in) {
			assert.Equal(t, want, got, "ParseDialect(%q)", in)
		}
	}
	_, err := ParseDialect("oracle")
	if assert.Error(t, err, "ParseDialect(oracle): want an error naming the valid types") {
		for _, name := range []string{`"mysql"`, `"postgresql"`, `"sqlite"`} {
			assert.Contains(t, err.Error(), name, "ParseDialect(oracle): want an error naming the valid types")
		}
	}
}

func TestStatementsAreIdempotentCreates(t *testing.T) {
	for _, d := range Dialects {
		stmts, err := Statements(d)
		require.NoError(t, err)
		want := map[Dialect]int{Postgres: 5, MySQL: 4, SQLite: 5}[d] // PostgreSQL and SQLite create their index apart
		require.Len(t, stmts, want, "%s: statements", d)
		for _, s := range stmts {
			if !(strings.HasPrefix(s, "CREATE TABLE IF NOT EXISTS ") || strings.HasPrefix(s, "CREATE INDEX IF NOT EXISTS ")) || strings.Contains(s, "--") {
				t.Errorf("%s: statement is not a bare idempotent CREATE: %q", d, s)
			}
		}
		// ftpcoord_member: the timings members record for `ftpcoord status`.
		members := table{name: "ftpcoord_member", columns: []string{"group_id", "task_id", "liveness_check_interval", "heartbeat_ms"}}
		for _, table := range append(append(coordinationTables, ledgerTables...), members) {
			ddl, _ := DDL(d)
			for _, col := range table.columns {
				assert.Contains(t, ddl, col, "%s DDL lacks %s.%s", d, table.name, col)
			}
		}
	}
	_, err := DDL("oracle")
	assert.Error(t, err, "DDL(oracle) succeeded")
}
