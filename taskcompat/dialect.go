package taskcompat

import (
	"fmt"

	"github.com/ftpcoord/ftpcoord/schema"
)

// inferDialect is the dialect of a DatabaseConfig without a type. In
// Ballerina the record's type says it (MysqlConfig or PostgresqlConfig);
// both records have the same fields and differ only in their default port,
// so a configuration written from one keeps its dialect only in the port:
//
//   - no field at all: Ballerina's default databaseConfig, MySQL on
//     localhost:3306;
//   - port 5432: PostgreSQL; port 3306: MySQL;
//   - anything else: refused at once, naming type (never a guess that
//     would end in a timeout against a server of the other kind).
func (d DatabaseConfig) inferDialect() (schema.Dialect, error) {
	switch {
	case d == DatabaseConfig{}:
		return schema.MySQL, nil
	case d.Port == DefaultPostgresPort:
		return schema.Postgres, nil
	case d.Port == DefaultMySQLPort:
		return schema.MySQL, nil
	case d.Port == 0:
		return "", fmt.Errorf(`is not set, and no port tells the dialect: set type = %q or %q (or %q for a file), as Ballerina's record type said (PostgresqlConfig or MysqlConfig)`,
			schema.Postgres, schema.MySQL, schema.SQLite)
	}
	return "", fmt.Errorf(`is not set, and port %d is neither PostgreSQL's 5432 nor MySQL's 3306: set type = %q or %q (or %q for a file), as Ballerina's record type said (PostgresqlConfig or MysqlConfig)`,
		d.Port, schema.Postgres, schema.MySQL, schema.SQLite)
}
