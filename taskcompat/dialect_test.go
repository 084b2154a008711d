package taskcompat_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A databaseConfig without a type takes its dialect from Ballerina's
// record shapes (their only difference is the default port), and is refused
// naming type when the port does not tell.
func TestDialectWithoutType(t *testing.T) {
	for _, c := range []struct {
		db   taskcompat.DatabaseConfig
		want schema.Dialect
		err  string
	}{
		{taskcompat.DatabaseConfig{}, schema.MySQL, ""}, // Ballerina's default databaseConfig
		{taskcompat.DatabaseConfig{Host: "db", Port: 5432, User: "u", Database: "d"}, schema.Postgres, ""},
		{taskcompat.DatabaseConfig{Host: "db", Port: 3306, User: "u", Database: "d"}, schema.MySQL, ""},
		{taskcompat.DatabaseConfig{Type: "postgres", Port: 3306}, schema.Postgres, ""}, // a type always wins
		{taskcompat.DatabaseConfig{Host: "db", Port: 55432, User: "u", Database: "d"}, "", `is not set, and port 55432 is neither PostgreSQL's 5432 nor MySQL's 3306: set type = "postgresql" or "mysql" (or "sqlite" for a file)`},
		{taskcompat.DatabaseConfig{Host: "db", User: "u", Database: "d"}, "", `is not set, and no port tells the dialect: set type = "postgresql" or "mysql"`},
	} {
		d, err := c.db.Dialect()
		if c.err != "" {
			require.Error(t, err, "%+v", c.db)
			assert.Contains(t, err.Error(), c.err, "%+v", c.db)
			continue
		}
		require.NoError(t, err, "%+v", c.db)
		assert.Equal(t, c.want, d, "%+v", c.db)
		// The defaults keep the inferred dialect and its port.
		cfg := taskcompat.Config{Database: c.db, TaskID: "a", GroupID: "g"}.WithDefaults()
		d, err = cfg.Database.Dialect()
		require.NoError(t, err, "%+v with defaults", c.db)
		assert.Equal(t, c.want, d, "%+v with defaults", c.db)
		assert.NotEmpty(t, cfg.Database.Type, "%+v with defaults", c.db)
	}
	// Without a port, no MySQL port is made up for an unknown dialect.
	err := taskcompat.Config{Database: taskcompat.DatabaseConfig{Host: "db", User: "u", Password: "pw", Database: "d"}, TaskID: "a", GroupID: "g"}.Validate()
	require.Error(t, err)
	assert.ErrorIs(t, err, taskcompat.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "databaseConfig.type: is not set")
	assert.NotContains(t, err.Error(), "databaseConfig.port")
}

// The real PostgreSQL without its type is refused at once naming type,
// before any connection (a configuration error, not a database one); with
// the other dialect's type it is named for what it is (the MySQL driver
// alone would wait for its connect timeout), and so is MariaDB asked for
// PostgreSQL.
func TestDialectAgainstTheOtherServer(t *testing.T) {
	pg := testdb.New(t, schema.Postgres)
	my := testdb.New(t, schema.MySQL)
	const timeout = 10 * time.Second

	noType := pg
	noType.Type = ""
	_, err := taskcompat.Connect(context.Background(), noType, "UTC", timeout)
	require.Error(t, err)
	assert.False(t, errors.Is(err, taskcompat.ErrDatabase), "a dialect-less config must be refused before connecting: %v", err)
	assert.Contains(t, err.Error(), `databaseConfig.type: is not set, and port `)
	assert.Contains(t, err.Error(), `set type = "postgresql" or "mysql"`)

	asMySQL := pg
	asMySQL.Type = "mysql"
	_, err = taskcompat.Connect(context.Background(), asMySQL, "UTC", timeout)
	require.ErrorIs(t, err, taskcompat.ErrDatabase)
	var wp *taskcompat.WrongProtocolError
	require.ErrorAs(t, err, &wp, "MySQL at a PostgreSQL server: %v", err)
	assert.Equal(t, schema.Postgres, wp.Speaks)
	assert.Contains(t, err.Error(), `speaks the PostgreSQL protocol, not MySQL: set databaseConfig.type = "postgresql"`)
	assert.NotContains(t, err.Error(), "deadline exceeded", "the error blames the network")

	asPG := my
	asPG.Type = "postgresql"
	_, err = taskcompat.Connect(context.Background(), asPG, "UTC", timeout)
	require.ErrorAs(t, err, &wp, "PostgreSQL at a MariaDB server: %v", err)
	assert.Equal(t, schema.MySQL, wp.Speaks)
	assert.Contains(t, err.Error(), `speaks the MySQL protocol (server `)
	assert.Contains(t, err.Error(), `MariaDB`)
	assert.Contains(t, err.Error(), `), not PostgreSQL: set databaseConfig.type = "mysql"`)

	// The probe does not stand in the way of the right server.
	for _, db := range []taskcompat.DatabaseConfig{pg, my} {
		pool, err := taskcompat.Connect(context.Background(), db, "UTC", timeout)
		require.NoError(t, err, "%s", db)
		pool.Close()
	}
}
