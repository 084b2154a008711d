#!/usr/bin/env bash
# pure-ftpd for the tests (MLSD, MLST, MFMT, UTF-8, explicit TLS optional):
# 127.0.0.1:$FTPCOORD_TEST_PUREFTPD_PORT (default 2121), user tester / secret,
# files under $FTPCOORD_SERVICES_DIR/pureftpd/root, passive ports 30000-30100.
#   pureftpd.sh start | stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_PUREFTPD_PORT:-2121}
DIR=$FTPCOORD_SERVICES_DIR/pureftpd
ROOT=$DIR/root
PIDFILE=$DIR/pid

start() {
	ensure_packages pure-ftpd pure-ftpd
	is_root || die "pure-ftpd must run as root (it changes to the ftp user per session)"
	ensure_tls_cert
	mkdir -p "$ROOT"
	chown nobody:nogroup "$ROOT"
	if ! pid_alive "$PIDFILE"; then
		# pure-pw would hash with argon2id, 3 to 6 s per login here: write
		# the entry with a SHA-512 crypt hash instead, then build the db.
		printf 'tester:%s:%s:%s::%s/./::::::::::::\n' "$(openssl passwd -6 secret)" \
			"$(id -u nobody)" "$(getent group nogroup | cut -d: -f3)" "$ROOT" >"$DIR/pureftpd.passwd"
		pure-pw mkdb "$DIR/pureftpd.pdb" -f "$DIR/pureftpd.passwd" >&2
		log "pureftpd: starting on 127.0.0.1:$PORT"
		# -E no anonymous, -A chroot, -H no DNS, -Y 1 TLS optional,
		# -L listings up to 200,000 entries (default 10,000, see DESIGN.md).
		setsid nohup /usr/sbin/pure-ftpd -S "127.0.0.1,$PORT" -l "puredb:$DIR/pureftpd.pdb" -E -A -H \
			-p 30000:30100 -P 127.0.0.1 -Y 1 -2 "$FTPCOORD_SERVICES_DIR/tls/combined.pem" -L 200000:10 \
			>"$DIR/server.log" 2>&1 </dev/null &
		echo $! >"$PIDFILE"
		wait_until 20 port_open "$PORT" || { cat "$DIR/server.log" >&2; die "pure-ftpd did not start"; }
	else
		log "pureftpd: reusing the running server on port $PORT"
	fi
	echo "export FTPCOORD_TEST_PUREFTPD_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_PUREFTPD_USER='tester'"
	echo "export FTPCOORD_TEST_PUREFTPD_PASSWORD='secret'"
	echo "export FTPCOORD_TEST_PUREFTPD_ROOT='$ROOT'"
	echo "export FTPCOORD_TEST_FTP_CA='$FTPCOORD_SERVICES_DIR/tls/cert.pem'"
}

stop() {
	if pid_alive "$PIDFILE"; then kill "$(cat "$PIDFILE")"; fi
	rm -f "$PIDFILE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
