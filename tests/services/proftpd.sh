#!/usr/bin/env bash
# ProFTPD for the tests: its own LIST format and MLSD, explicit FTPS (mod_tls),
# user tester / secret on 127.0.0.1:$FTPCOORD_TEST_PROFTPD_PORT (default 2131);
# and mod_sftp, an SFTP server that is not OpenSSH, on
# 127.0.0.1:$FTPCOORD_TEST_PROFTPD_SFTP_PORT (default 2223) with password
# and public-key authentication for the same user.
# ProFTPD conflicts with the pure-ftpd package (ftp-server), so its binary and
# modules are unpacked from the Debian packages; the libraries it links are
# installed with apt (they conflict with nothing).
#   proftpd.sh start | stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_PROFTPD_PORT:-2131}
SFTP_PORT=${FTPCOORD_TEST_PROFTPD_SFTP_PORT:-2223}
DIR=$FTPCOORD_SERVICES_DIR/proftpd
ROOT=$DIR/root # the user's home, which the session sees as /
PKG=$DIR/pkg
BIN=$PKG/usr/sbin/proftpd

fetch_binary() {
	if [ ! -x "$BIN" ] || [ ! -f "$PKG/usr/lib/proftpd/mod_sftp.so" ]; then
		is_root || die "proftpd: run as root once to unpack the proftpd packages"
		command -v apt-get >/dev/null || die "proftpd: apt-get is needed to download proftpd-core"
		log "proftpd: downloading and unpacking proftpd-core and proftpd-mod-crypto"
		rm -rf "$DIR/download" && mkdir -p "$DIR/download"
		( cd "$DIR/download" && { apt-get download proftpd-core proftpd-mod-crypto >&2 2>/dev/null ||
			{ apt-get update -qq >&2 && apt-get download proftpd-core proftpd-mod-crypto >&2; }; } ) ||
			die "proftpd: apt-get download proftpd-core proftpd-mod-crypto failed"
		local f
		for f in "$DIR"/download/*.deb; do dpkg -x "$f" "$PKG"; done
	fi
	# The libraries proftpd-core links against (Depends of the package).
	if ldd "$BIN" "$PKG/usr/lib/proftpd/mod_sftp.so" | grep -q 'not found'; then
		is_root || die "proftpd: libraries missing: $(ldd "$BIN" | grep 'not found' | tr -s ' \t' ' ')"
		log "proftpd: installing the libraries it links"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 >&2 ||
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 >&2; } ||
			die "proftpd: apt-get install of its libraries failed"
	fi
}

write_files() {
	mkdir -p "$ROOT"
	chown nobody:nogroup "$ROOT"
	chmod 777 "$ROOT"
	local uid gid hash
	uid=$(id -u nobody) gid=$(id -g nobody)
	hash=$(openssl passwd -6 -salt ftpcoordtest secret)
	# AuthUserFile format: name:hash:uid:gid:gecos:home:shell
	printf 'tester:%s:%s:%s::%s:/bin/false\n' "$hash" "$uid" "$gid" "$ROOT" >"$DIR/passwd"
	printf 'tester:x:%s:\n' "$gid" >"$DIR/group"
	chmod 600 "$DIR/passwd"
	[ -s "$DIR/hostkey" ] || ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -f "$DIR/hostkey"
	[ -s "$DIR/clientkey" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/clientkey"
	# mod_sftp reads authorized keys in RFC 4716 form.
	ssh-keygen -e -f "$DIR/clientkey.pub" >"$DIR/authorized_keys"
	printf '[127.0.0.1]:%s %s\n' "$SFTP_PORT" "$(cut -d' ' -f1,2 "$DIR/hostkey.pub")" >"$DIR/known_hosts"
	cat >"$DIR/proftpd.conf" <<CONF
ServerName "ftpcoord test proftpd"
ServerType standalone
DefaultServer on
DefaultAddress 127.0.0.1
SocketBindTight on
Port $PORT
UseIPv6 off
UseReverseDNS off
User nobody
Group nogroup
PidFile $DIR/proftpd.pid
ScoreboardFile $DIR/scoreboard
DelayTable none
WtmpLog off
SystemLog $DIR/system.log
TransferLog none
ModulePath $PKG/usr/lib/proftpd
LoadModule mod_tls.c
LoadModule mod_sftp.c
AuthOrder mod_auth_file.c
AuthUserFile $DIR/passwd
AuthGroupFile $DIR/group
RequireValidShell off
DefaultRoot ~
Umask 022
AllowOverwrite on
AllowStoreRestart on
AllowRetrieveRestart on
PassivePorts 34000 34100
MaxInstances 60
TimeoutIdle 600
<IfModule mod_tls.c>
  TLSEngine on
  TLSRequired off
  TLSLog $DIR/tls.log
  TLSRSACertificateFile $FTPCOORD_SERVICES_DIR/tls/cert.pem
  TLSRSACertificateKeyFile $FTPCOORD_SERVICES_DIR/tls/key.pem
  TLSOptions NoSessionReuseRequired
  TLSVerifyClient off
</IfModule>
<VirtualHost 127.0.0.1>
  Port $SFTP_PORT
  SFTPEngine on
  SFTPLog $DIR/sftp.log
  SFTPHostKey $DIR/hostkey
  SFTPAuthMethods publickey password
  SFTPAuthorizedUserKeys file:$DIR/authorized_keys
  SFTPCompression off
  AuthOrder mod_auth_file.c
  AuthUserFile $DIR/passwd
  AuthGroupFile $DIR/group
  RequireValidShell off
  DefaultRoot ~
  Umask 022
  AllowOverwrite on
  AllowStoreRestart on
  User nobody
  Group nogroup
</VirtualHost>
CONF
}

start() {
	is_root || die "proftpd must run as root"
	mkdir -p "$DIR"
	if pid_alive "$DIR/server.pid"; then
		log "proftpd: reusing the running server on ports $PORT and $SFTP_PORT"
	else
		fetch_binary
		ensure_tls_cert
		write_files
		"$BIN" -t -c "$DIR/proftpd.conf" >"$DIR/configtest.out" 2>&1 || { cat "$DIR/configtest.out" >&2; die "proftpd: configuration refused"; }
		log "proftpd: starting on 127.0.0.1:$PORT (FTP) and :$SFTP_PORT (SFTP)"
		setsid nohup "$BIN" -n -q -c "$DIR/proftpd.conf" >"$DIR/server.out" 2>&1 </dev/null &
		echo $! >"$DIR/server.pid"
		wait_until 20 port_open "$PORT" && wait_until 20 port_open "$SFTP_PORT" ||
			{ cat "$DIR/server.out" >&2; die "proftpd did not start"; }
	fi
	echo "export FTPCOORD_TEST_PROFTPD_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_PROFTPD_SFTP_ADDR='127.0.0.1:$SFTP_PORT'"
	echo "export FTPCOORD_TEST_PROFTPD_USER='tester'"
	echo "export FTPCOORD_TEST_PROFTPD_PASSWORD='secret'"
	echo "export FTPCOORD_TEST_PROFTPD_ROOT='$ROOT'"
	echo "export FTPCOORD_TEST_PROFTPD_SFTP_KEY='$DIR/clientkey'"
	echo "export FTPCOORD_TEST_PROFTPD_SFTP_KNOWN_HOSTS='$DIR/known_hosts'"
	echo "export FTPCOORD_TEST_FTP_CA='$FTPCOORD_SERVICES_DIR/tls/cert.pem'"
}

stop() {
	if pid_alive "$DIR/server.pid"; then kill "$(cat "$DIR/server.pid")"; fi
	rm -f "$DIR/server.pid"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
