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
DATA=$DIR/data
USER_NAME=ftpcoord
PASSWORD=ftpcoord-test
RUN_USER=$(is_root && echo postgres || id -un)

pg_bin() {
	local v
	for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
		[ -x "/usr/lib/postgresql/$v/bin/$1" ] && { echo "/usr/lib/postgresql/$v/bin/$1"; return; }
	done
	command -v "$1" || true
}

start() {
	if [ -z "$(pg_bin initdb)" ]; then ensure_packages initdb postgresql; fi
	local initdb pg_ctl
	initdb=$(pg_bin initdb) pg_ctl=$(pg_bin pg_ctl)
	[ -n "$initdb" ] || die "initdb not found after installing postgresql"
	mkdir -p "$DIR"
	is_root && chown postgres "$FTPCOORD_SERVICES_DIR" "$DIR"
	chmod 755 "$FTPCOORD_SERVICES_DIR"
	if [ ! -s "$DATA/PG_VERSION" ]; then
		log "postgres: creating a cluster in $DATA"
		local pwfile=$DIR/pwfile
		echo "$PASSWORD" >"$pwfile"
		is_root && chown postgres "$pwfile"
		run_as "$RUN_USER" "$initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
			--pwfile="$pwfile" >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
		rm -f "$pwfile"
	fi
	if run_as "$RUN_USER" "$pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
		log "postgres: reusing the running server on port $PORT"
	else
		# A crash or reboot can leave postmaster.pid behind; pg_ctl start
		# copes with a stale one, but not with one whose pid was reused.
		if [ -f "$DATA/postmaster.pid" ] && ! kill -0 "$(head -1 "$DATA/postmaster.pid")" 2>/dev/null; then
			rm -f "$DATA/postmaster.pid"
		fi
		log "postgres: starting on 127.0.0.1:$PORT"
		run_as "$RUN_USER" "$pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 -o \
			"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_preload_libraries=pg_stat_statements" \
			start >&2 || { tail -20 "$DIR/server.log" >&2; die "postgres did not start"; }
	fi
	# Idempotent role for the tests.
	run_as "$RUN_USER" psql -X -q -h "$DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >&2 <<SQL ||
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
    CREATE ROLE $USER_NAME LOGIN SUPERUSER PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SQL
		die "postgres: could not create role $USER_NAME"
	echo "export FTPCOORD_TEST_POSTGRES_URL='postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/postgres'"
}

stop() {
	local pg_ctl
	pg_ctl=$(pg_bin pg_ctl)
	if [ -n "$pg_ctl" ] && [ -d "$DATA" ] && run_as "$RUN_USER" "$pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
		run_as "$RUN_USER" "$pg_ctl" -D "$DATA" -m fast -w stop >&2
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
