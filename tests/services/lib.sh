# Shared helpers of the tests/services scripts (sourced, not run).
# Progress goes to stderr; stdout carries only `export NAME=value` lines.

FTPCOORD_SERVICES_DIR=${FTPCOORD_SERVICES_DIR:-/tmp/ftpcoord-services}

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
