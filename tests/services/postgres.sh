#!/usr/bin/env bash
# PostgreSQL for the tests: a throwaway cluster on 127.0.0.1:$FTPCOORD_TEST_PG_PORT
# (default 55432), data under $FTPCOORD_SERVICES_DIR/postgres, password auth
# over TCP (user ftpcoord, password ftpcoord-test, superuser), and
# pg_stat_statements loaded so that benchmarks can count statements server-side.
#   postgres.sh start   start or reuse it; prints the export line
#   postgres.sh stop    stop it (data kept)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_PG_PORT:-55432}
DIR=$FTPCOORD_SERVICES_DIR/postgres

start() {
	mkdir -p "$DIR"
	is_root && chown postgres "$FTPCOORD_SERVICES_DIR"
	chmod 755 "$FTPCOORD_SERVICES_DIR"
	start_pg postgres "$DIR" "$PORT" \
		"-c full_page_writes=off -c max_connections=300 -c shared_preload_libraries=pg_stat_statements"
	echo "export FTPCOORD_TEST_POSTGRES_URL='postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/postgres'"
}

case "${1:-}" in
start) start ;;
stop) stop_pg "$DIR" ;;
*) die "usage: $0 start|stop" ;;
esac
