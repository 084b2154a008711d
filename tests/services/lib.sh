# Shared helpers of the tests/services scripts (sourced, not run).
# Progress goes to stderr; stdout carries only `export NAME=value` lines.

FTPCOORD_SERVICES_DIR=${FTPCOORD_SERVICES_DIR:-/tmp/ftpcoord-services}

# File names and sources hold characters beyond ASCII (the tests' emoji
# names): without a UTF-8 locale (a bare CI environment has none) javac reads
# sources as US-ASCII and a JVM cannot name such files. C.UTF-8 ships with
# Debian's libc.
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
*UTF-8* | *utf8*) ;;
*) export LC_ALL=C.UTF-8 ;;
esac

# The services, in start order, and for each the variable that, when set,
# points the tests at a server of the user's own instead.
KNOWN_SERVICES="postgres mariadb pureftpd vsftpd proftpd sshd sshdlegacy dbtls"
declare -A EXTERNAL_VAR=(
	[postgres]=FTPCOORD_TEST_POSTGRES_URL
	[mariadb]=FTPCOORD_TEST_MYSQL_URL
	[pureftpd]=FTPCOORD_TEST_PUREFTPD_ADDR
	[vsftpd]=FTPCOORD_TEST_VSFTPD_ADDR
	[proftpd]=FTPCOORD_TEST_PROFTPD_ADDR
	[sshd]=FTPCOORD_TEST_SFTP_ADDR
	[sshdlegacy]=FTPCOORD_TEST_SFTP_LEGACY_ADDR
	[dbtls]=FTPCOORD_TEST_POSTGRES_TLS_URL
)

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# ensure_packages CMD PACKAGE...: install PACKAGEs with apt when CMD is missing.
APT_UPDATED=${APT_UPDATED:-}
ensure_packages() {
	local cmd=$1; shift
	if [ -x "$cmd" ] || command -v "$cmd" >/dev/null 2>&1; then return 0; fi
	is_root && command -v apt-get >/dev/null 2>&1 ||
		die "$cmd is missing; install the Debian packages $* (or point the tests at your own server, see tests/services/README.md)"
	log "installing $* (apt-get)"
	if [ -z "$APT_UPDATED" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ||
		die "apt-get install $* failed"
}

# run_as USER CMD...: run as USER when root (servers refuse to run as root).
run_as() {
	local user=$1; shift
	if is_root; then runuser -u "$user" -- "$@"; else "$@"; fi
}

# wait_until SECONDS CMD...: retry CMD until it succeeds or time runs out.
wait_until() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

# ensure_tls_cert: a self-signed certificate for 127.0.0.1 and localhost, shared
# by the FTPS servers; tests trust it as their CA. Prints nothing.
ensure_tls_cert() {
	local dir=$FTPCOORD_SERVICES_DIR/tls
	[ -s "$dir/cert.pem" ] && [ -s "$dir/key.pem" ] && return 0
	mkdir -p "$dir"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ftpcoord test server" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || die "openssl could not make the test certificate"
	cat "$dir/key.pem" "$dir/cert.pem" >"$dir/combined.pem"
	chmod 644 "$dir/cert.pem"
	chmod 600 "$dir/key.pem" "$dir/combined.pem"
}

# pid_alive FILE: the pid in FILE runs.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
