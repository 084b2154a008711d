#!/usr/bin/env bash
# A second PostgreSQL and a second MariaDB with TLS, for the database TLS tests
# (sslmode prefer/require/verify-full): PostgreSQL on 127.0.0.1:$FTPCOORD_TEST_PG_TLS_PORT
# (default 55433), MariaDB on 127.0.0.1:$FTPCOORD_TEST_MYSQL_TLS_PORT (default 33307),
# both with a server certificate for 127.0.0.1 and localhost signed by a test CA
# ($FTPCOORD_SERVICES_DIR/dbtls/ca.pem, exported as FTPCOORD_TEST_DB_TLS_CA); user
# ftpcoord / ftpcoord-test. The servers also accept plain connections, as most do.
#   dbtls.sh start   start or reuse them; prints the export lines
#   dbtls.sh stop    stop them (data kept)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PG_PORT=${FTPCOORD_TEST_PG_TLS_PORT:-55433}
MY_PORT=${FTPCOORD_TEST_MYSQL_TLS_PORT:-33307}
DIR=$FTPCOORD_SERVICES_DIR/dbtls
CERTS=$DIR/certs
PG_DIR=$DIR/postgres
MY_DIR=$DIR/mariadb
USER_NAME=ftpcoord
PASSWORD=ftpcoord-test
PG_USER=$(is_root && echo postgres || id -un)
MY_USER=$(is_root && echo mysql || id -un)

pg_bin() {
	local v
	for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
		[ -x "/usr/lib/postgresql/$v/bin/$1" ] && { echo "/usr/lib/postgresql/$v/bin/$1"; return; }
	done
	command -v "$1" || true
}

# certs: a test CA and a server certificate it signed; each server gets its
# own copy of the key, owned by its user (PostgreSQL refuses a key others can read).
certs() {
	mkdir -p "$CERTS"
	if [ ! -s "$CERTS/server.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ftpcoord test database CA" \
			-keyout "$CERTS/ca-key.pem" -out "$CERTS/ca.pem" >/dev/null 2>&1 || die "openssl: test CA"
		openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
			-keyout "$CERTS/server-key.pem" -out "$CERTS/server.csr" >/dev/null 2>&1 || die "openssl: server key"
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$CERTS/san.ext"
		openssl x509 -req -in "$CERTS/server.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca-key.pem" -CAcreateserial \
			-days 3650 -extfile "$CERTS/san.ext" -out "$CERTS/server.pem" >/dev/null 2>&1 || die "openssl: server certificate"
	fi
	chmod 755 "$DIR" "$CERTS"
	chmod 644 "$CERTS/ca.pem" "$CERTS/server.pem"
	for who in "$PG_USER" "$MY_USER"; do
		install -m 600 "$CERTS/server-key.pem" "$CERTS/key-$who.pem"
		is_root && chown "$who" "$CERTS/key-$who.pem"
	done
	return 0
}

start_pg() {
	if [ -z "$(pg_bin initdb)" ]; then ensure_packages initdb postgresql; fi
	local initdb pg_ctl
	initdb=$(pg_bin initdb) pg_ctl=$(pg_bin pg_ctl)
	mkdir -p "$PG_DIR"
	is_root && chown "$PG_USER" "$PG_DIR"
	if [ ! -s "$PG_DIR/data/PG_VERSION" ]; then
		log "postgres (TLS): creating a cluster in $PG_DIR/data"
		echo "$PASSWORD" >"$PG_DIR/pwfile"
		is_root && chown "$PG_USER" "$PG_DIR/pwfile"
		run_as "$PG_USER" "$initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
			--pwfile="$PG_DIR/pwfile" >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
		rm -f "$PG_DIR/pwfile"
	fi
	if run_as "$PG_USER" "$pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
		log "postgres (TLS): reusing the running server on port $PG_PORT"
	else
		if [ -f "$PG_DIR/data/postmaster.pid" ] && ! kill -0 "$(head -1 "$PG_DIR/data/postmaster.pid")" 2>/dev/null; then
			rm -f "$PG_DIR/data/postmaster.pid"
		fi
		log "postgres (TLS): starting on 127.0.0.1:$PG_PORT"
		run_as "$PG_USER" "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o \
			"-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c ssl=on -c ssl_cert_file=$CERTS/server.pem -c ssl_key_file=$CERTS/key-$PG_USER.pem" \
			start >&2 || { tail -20 "$PG_DIR/server.log" >&2; die "postgres (TLS) did not start"; }
	fi
	run_as "$PG_USER" psql -X -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 >&2 <<SQL ||
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
    CREATE ROLE $USER_NAME LOGIN SUPERUSER PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SQL
		die "postgres (TLS): could not create role $USER_NAME"
	echo "export FTPCOORD_TEST_POSTGRES_TLS_URL='postgres://$USER_NAME:$PASSWORD@127.0.0.1:$PG_PORT/postgres'"
}

my_alive() { mariadb-admin --no-defaults --socket="$MY_DIR/sock" -uroot ping; }

start_my() {
	ensure_packages mariadbd mariadb-server
	local mariadbd
	mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	mkdir -p "$MY_DIR"
	is_root && chown "$MY_USER" "$MY_DIR"
	if [ ! -d "$MY_DIR/data/mysql" ]; then
		log "mariadb (TLS): creating a data directory in $MY_DIR/data"
		mariadb-install-db --no-defaults --user="$MY_USER" --datadir="$MY_DIR/data" \
			--auth-root-authentication-method=normal --skip-test-db >"$MY_DIR/install.log" 2>&1 ||
			{ cat "$MY_DIR/install.log" >&2; die "mariadb-install-db failed"; }
	fi
	if my_alive >/dev/null 2>&1; then
		log "mariadb (TLS): reusing the running server on port $MY_PORT"
	else
		log "mariadb (TLS): starting on 127.0.0.1:$MY_PORT"
		rm -f "$MY_DIR/sock" "$MY_DIR/pid"
		setsid nohup "$mariadbd" --no-defaults --user="$MY_USER" --datadir="$MY_DIR/data" --socket="$MY_DIR/sock" \
			--port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$MY_DIR/pid" --log-error="$MY_DIR/error.log" \
			--skip-log-bin --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=32M \
			--ssl-ca="$CERTS/ca.pem" --ssl-cert="$CERTS/server.pem" --ssl-key="$CERTS/key-$MY_USER.pem" \
			>/dev/null 2>&1 </dev/null &
		wait_until 60 my_alive || { tail -30 "$MY_DIR/error.log" >&2; die "mariadb (TLS) did not start"; }
	fi
	mariadb --no-defaults --socket="$MY_DIR/sock" -uroot >&2 <<SQL || die "mariadb (TLS): could not create user $USER_NAME"
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'127.0.0.1' WITH GRANT OPTION;
SQL
	echo "export FTPCOORD_TEST_MYSQL_TLS_URL='mysql://$USER_NAME:$PASSWORD@127.0.0.1:$MY_PORT/mysql'"
}

start() {
	certs
	start_pg
	start_my
	echo "export FTPCOORD_TEST_DB_TLS_CA='$CERTS/ca.pem'"
}

stop() {
	local pg_ctl
	pg_ctl=$(pg_bin pg_ctl)
	if [ -n "$pg_ctl" ] && [ -d "$PG_DIR/data" ] && run_as "$PG_USER" "$pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
		run_as "$PG_USER" "$pg_ctl" -D "$PG_DIR/data" -m fast -w stop >&2
	fi
	if my_alive >/dev/null 2>&1; then
		mariadb-admin --no-defaults --socket="$MY_DIR/sock" -uroot shutdown >&2
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
