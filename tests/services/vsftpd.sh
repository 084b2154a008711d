#!/usr/bin/env bash
# vsftpd for the tests: LIST only (no MLSD), minute-precision LIST times,
# anonymous with uploads, explicit FTPS on 127.0.0.1:$FTPCOORD_TEST_VSFTPD_PORT
# (default 2188) and implicit FTPS on $FTPCOORD_TEST_VSFTPD_IMPLICIT_PORT (2190).
# vsftpd conflicts with the pure-ftpd package, so its binary is unpacked from
# the Debian package instead of installed.
#   vsftpd.sh start | stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PORT=${FTPCOORD_TEST_VSFTPD_PORT:-2188}
IMPLICIT_PORT=${FTPCOORD_TEST_VSFTPD_IMPLICIT_PORT:-2190}
DIR=$FTPCOORD_SERVICES_DIR/vsftpd
ANON=$DIR/anon # root-owned and not writable, as vsftpd insists
ROOT=$ANON/inbox
BIN=$DIR/pkg/usr/sbin/vsftpd
ANON_USER=vsftpanon

fetch_binary() {
	[ -x "$BIN" ] && return 0
	is_root || die "vsftpd: run as root once to unpack the vsftpd package"
	command -v apt-get >/dev/null || die "vsftpd: apt-get is needed to download the vsftpd package"
	log "vsftpd: downloading and unpacking the vsftpd package"
	mkdir -p "$DIR/download"
	( cd "$DIR/download" && { apt-get download vsftpd >&2 2>/dev/null || { apt-get update -qq >&2 && apt-get download vsftpd >&2; }; } ) ||
		die "vsftpd: apt-get download vsftpd failed"
	dpkg -x "$DIR"/download/vsftpd_*.deb "$DIR/pkg"
}

write_config() { # file port implicit
	cat >"$1" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=$2
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
anon_root=$ANON
ftp_username=$ANON_USER
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
pasv_address=127.0.0.1
pasv_min_port=33000
pasv_max_port=33100
seccomp_sandbox=NO
secure_chroot_dir=$DIR/empty
utf8_filesystem=YES
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=NO
force_anon_data_ssl=NO
require_ssl_reuse=NO
implicit_ssl=$3
rsa_cert_file=$FTPCOORD_SERVICES_DIR/tls/cert.pem
rsa_private_key_file=$FTPCOORD_SERVICES_DIR/tls/key.pem
vsftpd_log_file=$DIR/vsftpd-$2.log
CONF
}

start_one() { # name port implicit
	local pidfile=$DIR/$1.pid
	if pid_alive "$pidfile"; then
		log "vsftpd: reusing the running $1 server on port $2"
		return
	fi
	write_config "$DIR/$1.conf" "$2" "$3"
	log "vsftpd: starting $1 on 127.0.0.1:$2"
	setsid nohup "$BIN" "$DIR/$1.conf" >"$DIR/$1.out" 2>&1 </dev/null &
	echo $! >"$pidfile"
	wait_until 20 port_open "$2" || { cat "$DIR/$1.out" >&2; die "vsftpd ($1) did not start"; }
}

start() {
	is_root || die "vsftpd must run as root"
	fetch_binary
	ensure_tls_cert
	id "$ANON_USER" >/dev/null 2>&1 ||
		useradd --system --home-dir "$ANON" --no-create-home --shell /usr/sbin/nologin "$ANON_USER"
	mkdir -p "$ROOT" "$DIR/empty"
	chmod 555 "$ANON"
	chown "$ANON_USER" "$ROOT"
	start_one explicit "$PORT" NO
	start_one implicit "$IMPLICIT_PORT" YES
	echo "export FTPCOORD_TEST_VSFTPD_ADDR='127.0.0.1:$PORT'"
	echo "export FTPCOORD_TEST_VSFTPD_IMPLICIT_ADDR='127.0.0.1:$IMPLICIT_PORT'"
	echo "export FTPCOORD_TEST_VSFTPD_ROOT='$ROOT'"
	echo "export FTPCOORD_TEST_FTP_CA='$FTPCOORD_SERVICES_DIR/tls/cert.pem'"
}

stop() {
	local f
	for f in "$DIR"/explicit.pid "$DIR"/implicit.pid; do
		if pid_alive "$f"; then kill "$(cat "$f")"; fi
		rm -f "$f"
	done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
