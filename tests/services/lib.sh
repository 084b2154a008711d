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

# stop_pidfile FILE: stop the server whose pid FILE holds, if it runs.
stop_pidfile() {
	if pid_alive "$1"; then kill "$(cat "$1")"; fi
	rm -f "$1"
}

# start_sshd NAME PORT DIR HOSTKEY_TYPE CLIENTKEY ROOT [CONFIG_LINE...]: an
# OpenSSH sshd in the foreground of its own session on 127.0.0.1:PORT, its
# files in DIR (host key of HOSTKEY_TYPE, authorized_keys holding
# CLIENTKEY.pub, known_hosts trusting the host key, sshd_config, sshd.pid,
# sshd.log), key authentication only, SFTP starting in ROOT; CONFIG_LINEs
# are added to sshd_config. Reuses it when it runs. Prints nothing.
start_sshd() {
	local name=$1 port=$2 dir=$3 keytype=$4 clientkey=$5 root=$6
	shift 6
	ensure_packages /usr/sbin/sshd openssh-server
	is_root || die "sshd must run as root"
	mkdir -p "$dir" "$root" /run/sshd
	[ -s "$clientkey" ] || ssh-keygen -q -t ed25519 -N '' -C ftpcoord-test-client -f "$clientkey"
	cp "$clientkey.pub" "$dir/authorized_keys"
	chmod 600 "$dir/authorized_keys"
	if [ ! -s "$dir/hostkey" ]; then
		case $keytype in
		rsa) ssh-keygen -q -t rsa -b 3072 -N '' -C "ftpcoord-test-$name-host" -f "$dir/hostkey" ;;
		*) ssh-keygen -q -t "$keytype" -N '' -C "ftpcoord-test-$name-host" -f "$dir/hostkey" ;;
		esac
	fi
	echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/hostkey.pub")" >"$dir/known_hosts"
	{
		cat <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/hostkey
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
CONF
		[ $# -eq 0 ] || printf '%s\n' "$@"
		echo "Subsystem sftp internal-sftp -d $root"
	} >"$dir/sshd_config"
	if pid_alive "$dir/sshd.pid"; then
		log "$name: reusing the running server on port $port"
	else
		/usr/sbin/sshd -t -f "$dir/sshd_config" || die "$name: sshd rejected its configuration"
		log "$name: starting on 127.0.0.1:$port"
		setsid nohup /usr/sbin/sshd -D -e -f "$dir/sshd_config" >"$dir/sshd.log" 2>&1 </dev/null &
		wait_until 20 port_open "$port" || { cat "$dir/sshd.log" >&2; die "$name: sshd did not start"; }
	fi
}

# Databases: user ftpcoord, password ftpcoord-test (throwaway servers).
DB_USER=ftpcoord
DB_PASSWORD=ftpcoord-test

# pg_bin NAME: the newest installed PostgreSQL's NAME (initdb, pg_ctl).
pg_bin() {
	local v
	for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
		[ -x "/usr/lib/postgresql/$v/bin/$1" ] && { echo "/usr/lib/postgresql/$v/bin/$1"; return; }
	done
	command -v "$1" || true
}

# pg_run_user: the user PostgreSQL runs as (it refuses root).
pg_run_user() { if is_root; then echo postgres; else id -un; fi; }

# start_pg NAME DIR PORT OPTIONS: a PostgreSQL cluster in DIR/data on
# 127.0.0.1:PORT (socket and logs in DIR), password authentication over TCP,
# with the server OPTIONS ("-c name=value ..."), and the superuser role
# DB_USER; reused when it runs. Prints nothing.
start_pg() {
	local name=$1 dir=$2 port=$3 options=$4 run_user initdb pg_ctl
	run_user=$(pg_run_user)
	if [ -z "$(pg_bin initdb)" ]; then ensure_packages initdb postgresql; fi
	initdb=$(pg_bin initdb) pg_ctl=$(pg_bin pg_ctl)
	[ -n "$initdb" ] || die "initdb not found after installing postgresql"
	mkdir -p "$dir"
	is_root && chown "$run_user" "$dir"
	if [ ! -s "$dir/data/PG_VERSION" ]; then
		log "$name: creating a cluster in $dir/data"
		echo "$DB_PASSWORD" >"$dir/pwfile"
		is_root && chown "$run_user" "$dir/pwfile"
		run_as "$run_user" "$initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
			--pwfile="$dir/pwfile" >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "$name: initdb failed"; }
		rm -f "$dir/pwfile"
	fi
	if run_as "$run_user" "$pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		log "$name: reusing the running server on port $port"
	else
		# A crash or reboot can leave postmaster.pid behind; pg_ctl start
		# copes with a stale one, but not with one whose pid was reused.
		if [ -f "$dir/data/postmaster.pid" ] && ! kill -0 "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null; then
			rm -f "$dir/data/postmaster.pid"
		fi
		log "$name: starting on 127.0.0.1:$port"
		run_as "$run_user" "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
			"-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off $options" \
			start >&2 || { tail -20 "$dir/server.log" >&2; die "$name did not start"; }
	fi
	# Idempotent role for the tests.
	run_as "$run_user" psql -X -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 >&2 <<SQL ||
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASSWORD';
  END IF;
END \$\$;
SQL
		die "$name: could not create role $DB_USER"
}

# stop_pg DIR: stop the cluster in DIR/data (data kept).
stop_pg() {
	local pg_ctl run_user
	pg_ctl=$(pg_bin pg_ctl) run_user=$(pg_run_user)
	if [ -n "$pg_ctl" ] && [ -d "$1/data" ] && run_as "$run_user" "$pg_ctl" -D "$1/data" status >/dev/null 2>&1; then
		run_as "$run_user" "$pg_ctl" -D "$1/data" -m fast -w stop >&2
	fi
}

# my_run_user: the user MariaDB runs as.
my_run_user() { if is_root; then echo mysql; else id -un; fi; }

# my_alive DIR: the MariaDB server of DIR answers on its socket.
my_alive() { mariadb-admin --no-defaults --socket="$1/sock" -uroot ping; }

# start_mariadb NAME DIR PORT OPTION...: a MariaDB server with its data in
# DIR/data on 127.0.0.1:PORT (socket, pid and error log in DIR), with the
# server OPTIONs, and the user DB_USER with every privilege from
# 127.0.0.1 and localhost; reused when it runs. Prints nothing.
start_mariadb() {
	local name=$1 dir=$2 port=$3 run_user mariadbd
	shift 3
	run_user=$(my_run_user)
	ensure_packages mariadbd mariadb-server
	mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
	mkdir -p "$dir"
	is_root && chown "$run_user" "$dir"
	if [ ! -d "$dir/data/mysql" ]; then
		log "$name: creating a data directory in $dir/data"
		mariadb-install-db --no-defaults --user="$run_user" --datadir="$dir/data" \
			--auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
			{ cat "$dir/install.log" >&2; die "$name: mariadb-install-db failed"; }
	fi
	if my_alive "$dir" >/dev/null 2>&1; then
		log "$name: reusing the running server on port $port"
	else
		log "$name: starting on 127.0.0.1:$port"
		rm -f "$dir/sock" "$dir/pid"
		# setsid + nohup: the server outlives this script and its terminal.
		setsid nohup "$mariadbd" --no-defaults --user="$run_user" --datadir="$dir/data" --socket="$dir/sock" \
			--port="$port" --bind-address=127.0.0.1 --pid-file="$dir/pid" --log-error="$dir/error.log" \
			--skip-log-bin --innodb-flush-log-at-trx-commit=0 "$@" >/dev/null 2>&1 </dev/null &
		wait_until 60 my_alive "$dir" || { tail -30 "$dir/error.log" >&2; die "$name did not start"; }
	fi
	mariadb --no-defaults --socket="$dir/sock" -uroot >&2 <<SQL || die "$name: could not create user $DB_USER"
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost' WITH GRANT OPTION;
SQL
}

# stop_mariadb DIR: stop the server of DIR (data kept).
stop_mariadb() {
	if my_alive "$1" >/dev/null 2>&1; then
		mariadb-admin --no-defaults --socket="$1/sock" -uroot shutdown >&2
	fi
}
