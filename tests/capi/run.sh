#!/usr/bin/env bash
# Builds tests/capi/capi_test.c and hostile_test.c against capi/ftpcoord.h and
# a libftpcoord, and runs them against the pure-ftpd (and PostgreSQL) of
# tests/services. Needs the FTPCOORD_TEST_PUREFTPD_* variables.
#
#   bash tests/capi/run.sh             the host's build/libftpcoord.so (make lib; make test)
#   bash tests/capi/run.sh PLATFORM    a shipped Java native, build/java-native/PLATFORM
#                                      (make jni), run the way that platform runs here:
#                                      linux-aarch64 under qemu-user, windows-x86_64 under
#                                      wine (tests/capi/cross.sh runs both)
#
# CAPI_LEDGER=0 skips the ledger cycle; CAPI_HOSTILE=N sets the hostile rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${FTPCOORD_TEST_PUREFTPD_ROOT:?run tests/services/start.sh first}"
work=$(mktemp -d)
trap 'rm -rf "$work" "$FTPCOORD_TEST_PUREFTPD_ROOT/$dir"' EXIT
dir=capi-$$
mkdir -p "$FTPCOORD_TEST_PUREFTPD_ROOT/$dir"
chmod 777 "$FTPCOORD_TEST_PUREFTPD_ROOT/$dir"
# Each file's content is its name repeated, so that the C side can check it.
n=0
for name in "invoice-1.xml" "with space.csv" "emoji-📦.json"; do
	for _ in $(seq 1 40); do printf '%s' "$name"; done >"$FTPCOORD_TEST_PUREFTPD_ROOT/$dir/$name"
	n=$((n + 1))
done
platform=${1:-host}
run=() exe=
case $platform in
host)
	cc=gcc libdir=$PWD/build ;;
linux-aarch64)
	cc=aarch64-linux-gnu-gcc libdir=$PWD/build/java-native/$platform
	# qemu-user runs the aarch64 programs; -L points its loader at the arm64 libc.
	run=(qemu-aarch64 -L /usr/aarch64-linux-gnu) ;;
windows-x86_64)
	cc=x86_64-w64-mingw32-gcc libdir=$PWD/build/java-native/$platform exe=.exe
	# Windows finds a program's DLLs beside it; wine keeps its prefix under build/.
	run=(/usr/lib/wine/wine64)
	export WINEPREFIX=$PWD/build/wine WINEDEBUG=-all WINEDLLOVERRIDES=bcryptprimitives=n
	[ -d "$WINEPREFIX/drive_c/windows/system32" ] || { "${run[@]}" wineboot --init && /usr/lib/wine/wineserver -w; }
	# Debian 12's wine lacks bcryptprimitives.dll, which Go's runtime needs (see the shim).
	"$cc" -O2 -shared -s -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
		tests/capi/wine/bcryptprimitives.c -ladvapi32
	cp "$libdir/ftpcoord.dll" "$work/" ;;
*)
	echo "run.sh: unknown platform $platform" >&2; exit 2 ;;
esac
# Static where the C runtime is not the system's (mingw's winpthread).
ldflags=(-L"$libdir" -lftpcoord)
[ -n "$exe" ] && ldflags+=(-static-libgcc -Wl,-Bstatic -lpthread -Wl,-Bdynamic) || ldflags+=(-Wl,-rpath,"$libdir")
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/capi_test$exe" tests/capi/capi_test.c -Icapi "${ldflags[@]}"
"$cc" -std=c11 -pthread -Wall -Wextra -Werror -o "$work/hostile_test$exe" tests/capi/hostile_test.c -Icapi "${ldflags[@]}"
# Hostile input first: random JSON and handles through every entry point.
"${run[@]}" "$work/hostile_test$exe" "${CAPI_HOSTILE:-5000}"
host=${FTPCOORD_TEST_PUREFTPD_ADDR%:*}
port=${FTPCOORD_TEST_PUREFTPD_ADDR##*:}
config=$(printf '{"protocol":"FTP","host":"%s","port":%s,"path":"/%s","pollingInterval":3600,"auth":{"credentials":{"username":"%s","password":"%s"}}}' \
	"$host" "$port" "$dir" "$FTPCOORD_TEST_PUREFTPD_USER" "$FTPCOORD_TEST_PUREFTPD_PASSWORD")
"${run[@]}" "$work/capi_test$exe" "$config" "/$dir" "$n"
# The same directory as the one service of a services list: each event names it.
sconfig=$(printf '{"protocol":"FTP","host":"%s","port":%s,"pollingInterval":3600,"auth":{"credentials":{"username":"%s","password":"%s"}},"services":[{"name":"all","path":"/%s"}]}' \
	"$host" "$port" "$FTPCOORD_TEST_PUREFTPD_USER" "$FTPCOORD_TEST_PUREFTPD_PASSWORD" "$dir")
CAPI_SERVICE=all "${run[@]}" "$work/capi_test$exe" "$sconfig" "/$dir" "$n"
[ "${CAPI_LEDGER:-1}" = 1 ] || exit 0

# The same cycle through the ledger: a coordination group in a fresh
# PostgreSQL database; a failed ack must bring the file back (attempt 2), a
# rejecting ack (FTPCOORD_ACK_REJECT) must end its file REJECTED after 1 try.
: "${FTPCOORD_TEST_POSTGRES_URL:?run tests/services/start.sh first}"
db=ftpc_capi_$$
psql -q "$FTPCOORD_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null
trap 'rm -rf "$work" "$FTPCOORD_TEST_PUREFTPD_ROOT/$dir"; psql -q "$FTPCOORD_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
dburl=${FTPCOORD_TEST_POSTGRES_URL%/*}/$db
psql -q "$dburl" -f schema/postgres.sql >/dev/null
pghost=${dburl#*@}; pghost=${pghost%%/*}
pguser=${dburl#*://}; pguser=${pguser%%:*}
pgpass=${dburl#*://*:}; pgpass=${pgpass%%@*}
coord=$(printf '"coordination":{"databaseConfig":{"type":"postgresql","host":"%s","port":%s,"user":"%s","password":"%s","database":"%s"},"memberId":"c-host","coordinationGroup":"capi","livenessCheckInterval":2,"heartbeatFrequency":0.25},"retryTimeout":0.01,"maxTries":3' \
	"${pghost%:*}" "${pghost##*:}" "$pguser" "$pgpass" "$db")
"${run[@]}" "$work/capi_test$exe" "${config%\}},$coord}" "/$dir" "$n" ledger

# A member with a wrong password says so in its status and gives the token
# up within stepAsideAfter (here 1 s).
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/workhealth_test$exe" tests/capi/workhealth_test.c -Icapi "${ldflags[@]}"
bad=$(printf '{"protocol":"FTP","host":"%s","port":%s,"path":"/%s","pollingInterval":0.2,"stepAsideAfter":1,"auth":{"credentials":{"username":"%s","password":"wrong-%s"}}' \
	"$host" "$port" "$dir" "$FTPCOORD_TEST_PUREFTPD_USER" "$$")
"${run[@]}" "$work/workhealth_test$exe" "$bad,${coord/c-host/c-bad}}" "wrong-$$"
