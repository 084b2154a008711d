#!/usr/bin/env bash
# pure-ftpd for the tests (MLSD, MLST, MFMT, UTF-8, explicit TLS optional):
# 127.0.0.1:$FTPCOORD_TEST_PUREFTPD_PORT (default 2121), user tester / secret,
# files under $FTPCOORD_SERVICES_DIR/pureftpd/root, passive ports 30000-39999;
# and a twin on $FTPCOORD_TEST_PUREFTPD_SMALL_LIMIT_PORT (2122) that cuts
# listings at 50 entries.
#   pureftpd.sh start | stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_PUREFTPD_PORT:-2121}
SMALL_PORT=${FTPCOORD_TEST_PUREFTPD_SMALL_LIMIT_PORT:-2122}
DIR=$FTPCOORD_SERVICES_DIR/pureftpd
ROOT=$DIR/root
PIDFILE=$DIR/pid

start() {
	ensure_packages pure-ftpd pure-ftpd
	is_root || die "pure-ftpd must run as root (it changes to the ftp user per session)"
	ensure_tls_cert
	mkdir -p "$ROOT"
	chown nobody:nogroup "$ROOT"
	# A second server on the same files cuts listings at 50 entries, as
	# pure-ftpd's default does at 10,000: for truncation tests.
	start_server "$PORT" 200000:10 "$PIDFILE" 30000:39999
	start_server "$SMALL_PORT" 50:5 "$DIR/small.pid" 40000:40999
	echo "export FTPCOORD_TEST_PUREFTPD_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_PUREFTPD_SMALL_LIMIT_ADDR='127.0.0.1:$SMALL_PORT'"
	echo "export FTPCOORD_TEST_PUREFTPD_USER='tester'"
	echo "export FTPCOORD_TEST_PUREFTPD_PASSWORD='secret'"
	echo "export FTPCOORD_TEST_PUREFTPD_ROOT='$ROOT'"
	echo "export FTPCOORD_TEST_FTP_CA='$FTPCOORD_SERVICES_DIR/tls/cert.pem'"
}

start_server() { # port list-limit pidfile passive-ports
	local port=$1 limit=$2 pidfile=$3 pasv=$4
	if ! pid_alive "$pidfile"; then
		# pure-pw would hash with argon2id, 3 to 6 s per login here: write
		# the entry with a SHA-512 crypt hash instead, then build the db.
		printf 'tester:%s:%s:%s::%s/./::::::::::::\n' "$(openssl passwd -6 secret)" \
			"$(id -u nobody)" "$(getent group nogroup | cut -d: -f3)" "$ROOT" >"$DIR/pureftpd.passwd"
		pure-pw mkdb "$DIR/pureftpd.pdb" -f "$DIR/pureftpd.passwd" >&2
		log "pureftpd: starting on 127.0.0.1:$port (listings cut at ${limit%%:*} entries)"
		# -E no anonymous, -A chroot, -H no DNS, -Y 1 TLS optional,
		# -L max entries:depth of a listing (pure-ftpd's default 10000:5).
		setsid nohup /usr/sbin/pure-ftpd -S "127.0.0.1,$port" -l "puredb:$DIR/pureftpd.pdb" -E -A -H \
			-p "$pasv" -P 127.0.0.1 -Y 1 -2 "$FTPCOORD_SERVICES_DIR/tls/combined.pem" -L "$limit" \
			>"$DIR/server-$port.log" 2>&1 </dev/null &
		echo $! >"$pidfile"
		wait_until 20 port_open "$port" || { cat "$DIR/server-$port.log" >&2; die "pure-ftpd did not start"; }
	else
		log "pureftpd: reusing the running server on port $port"
	fi
}

stop() {
	local f
	for f in "$PIDFILE" "$DIR/small.pid"; do
		if pid_alive "$f"; then kill "$(cat "$f")"; fi
		rm -f "$f"
	done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
