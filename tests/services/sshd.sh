#!/usr/bin/env bash
# OpenSSH sshd for the SFTP tests, in the foreground of its own session:
# 127.0.0.1:$FTPCOORD_TEST_SFTP_PORT (default 2222), key authentication for
# root (the user the tests run as), an ed25519 host key, SFTP starting in
# $FTPCOORD_SERVICES_DIR/sshd/root. Prints the client key and a known_hosts
# file that trusts the host key.
#   sshd.sh start | stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_SFTP_PORT:-2222}
DIR=$FTPCOORD_SERVICES_DIR/sshd
ROOT=$DIR/root

start() {
	start_sshd sshd "$PORT" "$DIR" ed25519 "$DIR/clientkey" "$ROOT" \
		"MaxStartups 100:30:200" "MaxSessions 100"
	echo "export FTPCOORD_TEST_SFTP_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_SFTP_USER='$(id -un)'"
	echo "export FTPCOORD_TEST_SFTP_KEY='$DIR/clientkey'"
	echo "export FTPCOORD_TEST_SFTP_KNOWN_HOSTS='$DIR/known_hosts'"
	echo "export FTPCOORD_TEST_SFTP_ROOT='$ROOT'"
}

case "${1:-}" in
start) start ;;
stop) stop_pidfile "$DIR/sshd.pid" ;;
*) die "usage: $0 start|stop" ;;
esac
