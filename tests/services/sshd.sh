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
PIDFILE=$DIR/sshd.pid

start() {
	ensure_packages /usr/sbin/sshd openssh-server
	is_root || die "sshd must run as root"
	mkdir -p "$ROOT" /run/sshd
	[ -s "$DIR/hostkey" ] || ssh-keygen -q -t ed25519 -N '' -C ftpcoord-test-host -f "$DIR/hostkey"
	[ -s "$DIR/clientkey" ] || ssh-keygen -q -t ed25519 -N '' -C ftpcoord-test-client -f "$DIR/clientkey"
	cp "$DIR/clientkey.pub" "$DIR/authorized_keys"
	chmod 600 "$DIR/authorized_keys"
	echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$DIR/hostkey.pub")" >"$DIR/known_hosts"
	cat >"$DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $PORT
HostKey $DIR/hostkey
PidFile $PIDFILE
AuthorizedKeysFile $DIR/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp -d $ROOT
CONF
	if pid_alive "$PIDFILE"; then
		log "sshd: reusing the running server on port $PORT"
	else
		/usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd rejected its configuration"
		log "sshd: starting on 127.0.0.1:$PORT"
		setsid nohup /usr/sbin/sshd -D -e -f "$DIR/sshd_config" >"$DIR/sshd.log" 2>&1 </dev/null &
		wait_until 20 port_open "$PORT" || { cat "$DIR/sshd.log" >&2; die "sshd did not start"; }
	fi
	echo "export FTPCOORD_TEST_SFTP_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_SFTP_USER='$(id -un)'"
	echo "export FTPCOORD_TEST_SFTP_KEY='$DIR/clientkey'"
	echo "export FTPCOORD_TEST_SFTP_KNOWN_HOSTS='$DIR/known_hosts'"
	echo "export FTPCOORD_TEST_SFTP_ROOT='$ROOT'"
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
