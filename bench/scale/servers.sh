#!/usr/bin/env bash
# A PostgreSQL and a MariaDB of bench/scale's own, beside the test servers
# (other ports, another data directory), with room for the 150 members of
# the idle-groups measurement: that many members would take most of the
# connections of the shared tests/services servers. Prints export lines:
#   eval "$(bash bench/scale/servers.sh)"
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
export FTPCOORD_SERVICES_DIR=${SCALE_SERVICES_DIR:-/tmp/ftpcoord-scale-services}
export FTPCOORD_TEST_PG_PORT=${SCALE_PG_PORT:-25462}
export FTPCOORD_TEST_MYSQL_PORT=${SCALE_MYSQL_PORT:-23362}
unset FTPCOORD_TEST_POSTGRES_URL FTPCOORD_TEST_MYSQL_URL
out=$(bash "$here/tests/services/start.sh" postgres mariadb)
eval "$out"
. "$here/tests/services/lib.sh"
pgdir=$FTPCOORD_SERVICES_DIR/postgres
# postgres.sh starts its server with max_connections=300 on the command line
# (which ALTER SYSTEM cannot raise): restart this one with room for more.
pguser=$(is_root && echo postgres || id -un)
if [ "$(run_as "$pguser" psql -X -At -h "$pgdir" -p "$FTPCOORD_TEST_PG_PORT" -U postgres -d postgres -c 'SHOW max_connections')" != 1000 ]; then
	bash "$here/tests/services/postgres.sh" stop
	pgctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -rV | head -1)
	run_as "$pguser" "${pgctl:-pg_ctl}" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 -o \
		"-p $FTPCOORD_TEST_PG_PORT -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -c shared_preload_libraries=pg_stat_statements" \
		start >&2
fi
mysql_sock=$FTPCOORD_SERVICES_DIR/mariadb/sock
if [ -S "$mysql_sock" ]; then
	mariadb --no-defaults -S "$mysql_sock" -u root -e "SET GLOBAL max_connections = 1000" >&2 ||
		echo "scale: could not raise MariaDB's max_connections" >&2
fi
echo "$out"
