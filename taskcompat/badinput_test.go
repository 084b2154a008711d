package taskcompat_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
)

func newErr(db taskcompat.DatabaseConfig) error {
	_, err := taskcompat.New(context.Background(), taskcompat.Config{Database: db, TaskID: "x", GroupID: "g",
		LivenessCheckInterval: liveness, HeartbeatFrequency: taskcompat.Seconds(heartbeat)})
	return err
}

func TestBadDatabase(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		good := testdb.NewWithSchema(t, d)
		if d == schema.SQLite {
			badSQLiteFile(t, good)
		} else {
			badServer(t, good)
		}

		err := newErr(testdb.New(t, d))
		var se *schema.Error
		if !errors.Is(err, schema.ErrMissingTable) || !errors.As(err, &se) || se.Table != "token_holder" ||
			!strings.Contains(err.Error(), "schema.Apply") {
			t.Errorf("missing tables: %v", err)
		}

		noKey := testdb.New(t, d)
		db := testdb.Open(t, noKey, "UTC")
		mustExec(t, db, d, ballerinaDDL[d][0])
		mustExec(t, db, d, `CREATE TABLE health_check (task_id VARCHAR(255), group_id VARCHAR(255), last_heartbeat TIMESTAMP NULL)`)
		err = newErr(noKey)
		if !errors.Is(err, schema.ErrWrongKey) || !strings.Contains(err.Error(), "PRIMARY KEY (task_id, group_id)") {
			t.Errorf("health_check without its key: %v", err)
		}
		if err := schema.Apply(context.Background(), db, d); !errors.Is(err, schema.ErrWrongKey) {
			t.Errorf("Apply over a keyless health_check: %v, want ErrWrongKey", err)
		}

		noCol := testdb.New(t, d)
		db = testdb.Open(t, noCol, "UTC")
		mustExec(t, db, d, `CREATE TABLE token_holder (task_id VARCHAR(255) NOT NULL, group_id VARCHAR(255) NOT NULL PRIMARY KEY)`)
		err = newErr(noCol)
		if !errors.Is(err, schema.ErrMissingColumn) || !strings.Contains(err.Error(), "term") {
			t.Errorf("token_holder without term: %v", err)
		}

		var fe *taskcompat.FieldError
		_, err = taskcompat.New(context.Background(), taskcompat.Config{Database: good, GroupID: "g"})
		if !errors.As(err, &fe) || fe.Field != "taskId" {
			t.Errorf("missing taskId: %v", err)
		}
	})
}

func TestApplyIsIdempotent(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.New(t, d)
		db := testdb.Open(t, cfg, "UTC")
		for i := range 3 {
			if err := schema.Apply(context.Background(), db, d); err != nil {
				t.Fatalf("Apply #%d: %v", i+1, err)
			}
		}
		if err := schema.Verify(context.Background(), db, d); err != nil {
			t.Fatal(err)
		}
	})
}

// badServer: what can be wrong with a database server's settings.
func badServer(t *testing.T, good taskcompat.DatabaseConfig) {
	wrongPW := good
	wrongPW.Password = "not-the-password-xyz"
	err := newErr(wrongPW)
	if !errors.Is(err, taskcompat.ErrDatabase) || !strings.Contains(err.Error(), "databaseConfig.password") {
		t.Errorf("wrong password: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "not-the-password-xyz") {
		t.Errorf("the error shows the password: %v", err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	closed := good
	closed.Port = port
	err = newErr(closed)
	if !errors.Is(err, taskcompat.ErrDatabase) || !strings.Contains(err.Error(), closed.Address()) {
		t.Errorf("unreachable database: %v", err)
	}

	missingDB := good
	missingDB.Database = "no_such_database_here"
	err = newErr(missingDB)
	if !errors.Is(err, taskcompat.ErrDatabase) || !strings.Contains(err.Error(), "no_such_database_here") {
		t.Errorf("missing database: %v", err)
	}
}

// badSQLiteFile: what can be wrong with an SQLite file's settings.
func badSQLiteFile(t *testing.T, good taskcompat.DatabaseConfig) {
	noDir := good
	noDir.Database = filepath.Join(t.TempDir(), "no-such-dir", "f.db")
	err := newErr(noDir)
	if !errors.Is(err, taskcompat.ErrDatabase) || !strings.Contains(err.Error(), noDir.Database) || !strings.Contains(err.Error(), "databaseConfig.database") {
		t.Errorf("file in a missing directory: %v", err)
	}

	notDB := good
	notDB.Database = filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notDB.Database, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	err = newErr(notDB)
	if !errors.Is(err, taskcompat.ErrDatabase) || !strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("a file that is not a database: %v", err)
	}

	withServer := good
	withServer.Host, withServer.Password = "db.example.com", "secret-pw-xyz"
	err = newErr(withServer)
	var fe *taskcompat.FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "databaseConfig.host") || !strings.Contains(err.Error(), "databaseConfig.password") {
		t.Errorf("sqlite with a host and password: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "secret-pw-xyz") {
		t.Errorf("the error shows the password: %v", err)
	}

	memory := good
	memory.Database = ":memory:"
	if err := newErr(memory); !errors.As(err, &fe) || fe.Field != "databaseConfig.database" {
		t.Errorf("in-memory sqlite: %v", err)
	}
}
