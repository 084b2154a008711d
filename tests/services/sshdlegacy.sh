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

start() {
	start_sshd sshdlegacy "$PORT" "$DIR" rsa "$BASE/clientkey" "$BASE/root" \
		"KexAlgorithms diffie-hellman-group14-sha1" "Ciphers aes128-cbc" "MACs hmac-sha1" \
		"HostKeyAlgorithms ssh-rsa" "PubkeyAcceptedAlgorithms +ssh-ed25519"
	echo "export FTPCOORD_TEST_SFTP_LEGACY_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_SFTP_LEGACY_KNOWN_HOSTS='$DIR/known_hosts'"
}

case "${1:-}" in
start) start ;;
stop) stop_pidfile "$DIR/sshd.pid" ;;
*) die "usage: $0 start|stop" ;;
esac
