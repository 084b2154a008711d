package schema

import (
	"strings"
	"testing"
)

func TestParseDialect(t *testing.T) {
	for in, want := range map[string]Dialect{"mysql": MySQL, "MySQL": MySQL, "mariadb": MySQL, "postgresql": Postgres, " postgres ": Postgres, "sqlite": SQLite, "SQLite3": SQLite} {
		if got, err := ParseDialect(in); err != nil || got != want {
			t.Errorf("ParseDialect(%q) = %q, %v", in, got, err)
		}
	}
	_, err := ParseDialect("oracle")
	if err == nil || !strings.Contains(err.Error(), `"mysql"`) || !strings.Contains(err.Error(), `"postgresql"`) || !strings.Contains(err.Error(), `"sqlite"`) {
		t.Errorf("ParseDialect(oracle) = %v, want an error naming the valid types", err)
	}
}

func TestStatementsAreIdempotentCreates(t *testing.T) {
	for _, d := range Dialects {
		stmts, err := Statements(d)
		if err != nil {
			t.Fatal(err)
		}
		want := map[Dialect]int{Postgres: 4, MySQL: 3, SQLite: 4}[d] // PostgreSQL and SQLite create their index apart
		if len(stmts) != want {
			t.Fatalf("%s: %d statements, want %d:\n%q", d, len(stmts), want, stmts)
		}
		for _, s := range stmts {
			if !(strings.HasPrefix(s, "CREATE TABLE IF NOT EXISTS ") || strings.HasPrefix(s, "CREATE INDEX IF NOT EXISTS ")) || strings.Contains(s, "--") {
				t.Errorf("%s: statement is not a bare idempotent CREATE: %q", d, s)
			}
		}
		for _, table := range append(coordinationTables, ledgerTables...) {
			ddl, _ := DDL(d)
			for _, col := range table.columns {
				if !strings.Contains(ddl, col) {
					t.Errorf("%s DDL lacks %s.%s", d, table.name, col)
				}
			}
		}
	}
	if _, err := DDL("oracle"); err == nil {
		t.Error("DDL(oracle) succeeded")
	}
}
