#!/usr/bin/env bash
# MariaDB (MySQL protocol) for the tests: a throwaway server on
# 127.0.0.1:$FTPCOORD_TEST_MYSQL_PORT (default 33306), data under
# $FTPCOORD_SERVICES_DIR/mariadb, user ftpcoord / ftpcoord-test with all privileges.
#   mariadb.sh start   start or reuse it; prints the export line
#   mariadb.sh stop    stop it (data kept)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_MYSQL_PORT:-33306}
DIR=$FTPCOORD_SERVICES_DIR/mariadb

start() {
	start_mariadb mariadb "$DIR" "$PORT" --max-connections=500 --innodb-buffer-pool-size=64M
	echo "export FTPCOORD_TEST_MYSQL_URL='mysql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/mysql'"
}

case "${1:-}" in
start) start ;;
stop) stop_mariadb "$DIR" ;;
*) die "usage: $0 start|stop" ;;
esac
