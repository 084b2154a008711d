package taskcompat_test

import (
	"context"
	"errors"
	"net"
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

		err = newErr(testdb.New(t, d))
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
