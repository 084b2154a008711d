package taskcompat_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		assert.ErrorIs(t, err, schema.ErrMissingTable, "missing tables: %v", err)
		if assert.ErrorAs(t, err, &se, "missing tables: %v", err) {
			assert.Equal(t, "token_holder", se.Table, "missing tables: %v", err)
		}
		assert.ErrorContains(t, err, "schema.Apply", "missing tables: %v", err)

		noKey := testdb.New(t, d)
		db := testdb.Open(t, noKey, "UTC")
		mustExec(t, db, d, ballerinaDDL[d][0])
		mustExec(t, db, d, `CREATE TABLE health_check (task_id VARCHAR(255), group_id VARCHAR(255), last_heartbeat TIMESTAMP NULL)`)
		err = newErr(noKey)
		assert.ErrorIs(t, err, schema.ErrWrongKey, "health_check without its key: %v", err)
		assert.ErrorContains(t, err, "PRIMARY KEY (task_id, group_id)", "health_check without its key: %v", err)
		assert.ErrorIs(t, schema.Apply(context.Background(), db, d), schema.ErrWrongKey, "Apply over a keyless health_check")

		noCol := testdb.New(t, d)
		db = testdb.Open(t, noCol, "UTC")
		mustExec(t, db, d, `CREATE TABLE token_holder (task_id VARCHAR(255) NOT NULL, group_id VARCHAR(255) NOT NULL PRIMARY KEY)`)
		err = newErr(noCol)
		assert.ErrorIs(t, err, schema.ErrMissingColumn, "token_holder without term: %v", err)
		assert.ErrorContains(t, err, "term", "token_holder without term: %v", err)

		var fe *taskcompat.FieldError
		_, err = taskcompat.New(context.Background(), taskcompat.Config{Database: good, GroupID: "g"})
		if assert.ErrorAs(t, err, &fe, "missing taskId: %v", err) {
			assert.Equal(t, "taskId", fe.Field, "missing taskId: %v", err)
		}
	})
}

func TestApplyIsIdempotent(t *testing.T) {
	testdb.EachDialect(t, func(t *testing.T, d schema.Dialect) {
		cfg := testdb.New(t, d)
		db := testdb.Open(t, cfg, "UTC")
		for i := range 3 {
			require.NoError(t, schema.Apply(context.Background(), db, d), "Apply #%d", i+1)
		}
		require.NoError(t, schema.Verify(context.Background(), db, d))
	})
}

// badServer: what can be wrong with a database server's settings.
func badServer(t *testing.T, good taskcompat.DatabaseConfig) {
	wrongPW := good
	wrongPW.Password = "not-the-password-xyz"
	err := newErr(wrongPW)
	assert.ErrorIs(t, err, taskcompat.ErrDatabase, "wrong password: %v", err)
	assert.ErrorContains(t, err, "databaseConfig.password", "wrong password: %v", err)
	if err != nil {
		assert.NotContains(t, err.Error(), "not-the-password-xyz", "the error shows the password")
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	closed := good
	closed.Port = port
	err = newErr(closed)
	assert.ErrorIs(t, err, taskcompat.ErrDatabase, "unreachable database: %v", err)
	assert.ErrorContains(t, err, closed.Address(), "unreachable database: %v", err)

	missingDB := good
	missingDB.Database = "no_such_database_here"
	err = newErr(missingDB)
	assert.ErrorIs(t, err, taskcompat.ErrDatabase, "missing database: %v", err)
	assert.ErrorContains(t, err, "no_such_database_here", "missing database: %v", err)
}

// badSQLiteFile: what can be wrong with an SQLite file's settings.
func badSQLiteFile(t *testing.T, good taskcompat.DatabaseConfig) {
	noDir := good
	noDir.Database = filepath.Join(t.TempDir(), "no-such-dir", "f.db")
	err := newErr(noDir)
	assert.ErrorIs(t, err, taskcompat.ErrDatabase, "file in a missing directory: %v", err)
	assert.ErrorContains(t, err, noDir.Database, "file in a missing directory: %v", err)
	assert.ErrorContains(t, err, "databaseConfig.database", "file in a missing directory: %v", err)

	notDB := good
	notDB.Database = filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(notDB.Database, []byte(strings.Repeat("not a database\n", 100)), 0o600))
	err = newErr(notDB)
	assert.ErrorIs(t, err, taskcompat.ErrDatabase, "a file that is not a database: %v", err)
	assert.ErrorContains(t, err, "not an SQLite database", "a file that is not a database: %v", err)

	withServer := good
	withServer.Host, withServer.Password = "db.example.com", "secret-pw-xyz"
	err = newErr(withServer)
	var fe *taskcompat.FieldError
	assert.ErrorAs(t, err, &fe, "sqlite with a host and password: %v", err)
	assert.ErrorContains(t, err, "databaseConfig.host", "sqlite with a host and password: %v", err)
	assert.ErrorContains(t, err, "databaseConfig.password", "sqlite with a host and password: %v", err)
	if err != nil {
		assert.NotContains(t, err.Error(), "secret-pw-xyz", "the error shows the password")
	}

	memory := good
	memory.Database = ":memory:"
	err = newErr(memory)
	if assert.ErrorAs(t, err, &fe, "in-memory sqlite: %v", err) {
		assert.Equal(t, "databaseConfig.database", fe.Field, "in-memory sqlite: %v", err)
	}
}
