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
DATA=$DIR/data
SOCK=$DIR/sock
USER_NAME=ftpcoord
PASSWORD=ftpcoord-test
RUN_USER=$(is_root && echo mysql || id -un)

client() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }
alive() { mariadb-admin --no-defaults --socket="$SOCK" -uroot ping; }

start() {
	ensure_packages mariadbd mariadb-server
	local mariadbd
	mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	mkdir -p "$DIR"
	is_root && chown "$RUN_USER" "$DIR"
	if [ ! -d "$DATA/mysql" ]; then
		log "mariadb: creating a data directory in $DATA"
		mariadb-install-db --no-defaults --user="$RUN_USER" --datadir="$DATA" \
			--auth-root-authentication-method=normal --skip-test-db >"$DIR/install.log" 2>&1 ||
			{ cat "$DIR/install.log" >&2; die "mariadb-install-db failed"; }
	fi
	if alive >/dev/null 2>&1; then
		log "mariadb: reusing the running server on port $PORT"
	else
		log "mariadb: starting on 127.0.0.1:$PORT"
		rm -f "$SOCK" "$DIR/pid"
		# setsid + nohup: the server outlives this script and its terminal.
		setsid nohup "$mariadbd" --no-defaults --user="$RUN_USER" --datadir="$DATA" --socket="$SOCK" \
			--port="$PORT" --bind-address=127.0.0.1 --pid-file="$DIR/pid" --log-error="$DIR/error.log" \
			--skip-log-bin --max-connections=500 --innodb-flush-log-at-trx-commit=0 \
			--innodb-buffer-pool-size=64M >/dev/null 2>&1 </dev/null &
		wait_until 60 alive || { tail -30 "$DIR/error.log" >&2; die "mariadb did not start"; }
	fi
	client >&2 <<SQL || die "mariadb: could not create user $USER_NAME"
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'localhost' WITH GRANT OPTION;
SQL
	echo "export FTPCOORD_TEST_MYSQL_URL='mysql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/mysql'"
}

stop() {
	if alive >/dev/null 2>&1; then
		mariadb-admin --no-defaults --socket="$SOCK" -uroot shutdown >&2
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
