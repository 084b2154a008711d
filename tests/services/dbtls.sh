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
PG_USER=$(pg_run_user)
MY_USER=$(my_run_user)

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

start() {
	certs
	start_pg "postgres (TLS)" "$PG_DIR" "$PG_PORT" \
		"-c ssl=on -c ssl_cert_file=$CERTS/server.pem -c ssl_key_file=$CERTS/key-$PG_USER.pem"
	echo "export FTPCOORD_TEST_POSTGRES_TLS_URL='postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/postgres'"
	start_mariadb "mariadb (TLS)" "$MY_DIR" "$MY_PORT" --innodb-buffer-pool-size=32M \
		--ssl-ca="$CERTS/ca.pem" --ssl-cert="$CERTS/server.pem" --ssl-key="$CERTS/key-$MY_USER.pem"
	echo "export FTPCOORD_TEST_MYSQL_TLS_URL='mysql://$DB_USER:$DB_PASSWORD@127.0.0.1:$MY_PORT/mysql'"
	echo "export FTPCOORD_TEST_DB_TLS_CA='$CERTS/ca.pem'"
}

stop() {
	stop_pg "$PG_DIR"
	stop_mariadb "$MY_DIR"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
