#!/usr/bin/env bash
# A second OpenSSH sshd that offers only legacy algorithms, as old servers
# and appliances do: key exchange diffie-hellman-group14-sha1, cipher
# aes128-cbc, MAC hmac-sha1, host key ssh-rsa; on 127.0.0.1:$FTPCOORD_TEST_SFTP_LEGACY_PORT
# (default 2224). x/crypto/ssh's defaults share none of them with it, so a
# client reaches it only by naming them (sftpAlgorithms). Same user, client
# key and root as sshd.sh.
#   sshdlegacy.sh start | stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_SFTP_LEGACY_PORT:-2224}
BASE=$FTPCOORD_SERVICES_DIR/sshd # the client key and root of sshd.sh
DIR=$FTPCOORD_SERVICES_DIR/sshdlegacy
PIDFILE=$DIR/sshd.pid

start() {
	ensure_packages /usr/sbin/sshd openssh-server
	is_root || die "sshd must run as root"
	mkdir -p "$DIR" "$BASE/root" /run/sshd
	[ -s "$BASE/clientkey" ] || ssh-keygen -q -t ed25519 -N '' -C ftpcoord-test-client -f "$BASE/clientkey"
	cp "$BASE/clientkey.pub" "$DIR/authorized_keys"
	chmod 600 "$DIR/authorized_keys"
	[ -s "$DIR/hostkey" ] || ssh-keygen -q -t rsa -b 3072 -N '' -C ftpcoord-test-legacy-host -f "$DIR/hostkey"
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
KexAlgorithms diffie-hellman-group14-sha1
Ciphers aes128-cbc
MACs hmac-sha1
HostKeyAlgorithms ssh-rsa
PubkeyAcceptedAlgorithms +ssh-ed25519
Subsystem sftp internal-sftp -d $BASE/root
CONF
	if pid_alive "$PIDFILE"; then
		log "sshdlegacy: reusing the running server on port $PORT"
	else
		/usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd (legacy) rejected its configuration"
		log "sshdlegacy: starting on 127.0.0.1:$PORT"
		setsid nohup /usr/sbin/sshd -D -e -f "$DIR/sshd_config" >"$DIR/sshd.log" 2>&1 </dev/null &
		wait_until 20 port_open "$PORT" || { cat "$DIR/sshd.log" >&2; die "sshd (legacy) did not start"; }
	fi
	echo "export FTPCOORD_TEST_SFTP_LEGACY_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_SFTP_LEGACY_KNOWN_HOSTS='$DIR/known_hosts'"
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
