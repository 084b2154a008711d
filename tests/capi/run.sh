#!/usr/bin/env bash
# Builds tests/capi/capi_test.c against build/ftpcoord.h and libftpcoord.so
# and runs it against the pure-ftpd of tests/services (make test calls this
# after `make lib`). Needs the FTPCOORD_TEST_PUREFTPD_* variables.
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
gcc -std=c11 -Wall -Wextra -Werror -o "$work/capi_test" tests/capi/capi_test.c -Ibuild -Lbuild -lftpcoord -Wl,-rpath,"$PWD/build"
gcc -std=c11 -pthread -Wall -Wextra -Werror -o "$work/hostile_test" tests/capi/hostile_test.c -Ibuild -Lbuild -lftpcoord -Wl,-rpath,"$PWD/build"
# Hostile input first: random JSON and handles through every entry point.
"$work/hostile_test" 5000
host=${FTPCOORD_TEST_PUREFTPD_ADDR%:*}
port=${FTPCOORD_TEST_PUREFTPD_ADDR##*:}
config=$(printf '{"protocol":"FTP","host":"%s","port":%s,"path":"/%s","pollingInterval":3600,"auth":{"credentials":{"username":"%s","password":"%s"}}}' \
	"$host" "$port" "$dir" "$FTPCOORD_TEST_PUREFTPD_USER" "$FTPCOORD_TEST_PUREFTPD_PASSWORD")
"$work/capi_test" "$config" "/$dir" "$n"

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
"$work/capi_test" "${config%\}},$coord}" "/$dir" "$n" ledger

# A member with a wrong password says so in its status and gives the token
# up within stepAsideAfter (here 1 s).
gcc -std=c11 -Wall -Wextra -Werror -o "$work/workhealth_test" tests/capi/workhealth_test.c -Ibuild -Lbuild -lftpcoord -Wl,-rpath,"$PWD/build"
bad=$(printf '{"protocol":"FTP","host":"%s","port":%s,"path":"/%s","pollingInterval":0.2,"stepAsideAfter":1,"auth":{"credentials":{"username":"%s","password":"wrong-%s"}}' \
	"$host" "$port" "$dir" "$FTPCOORD_TEST_PUREFTPD_USER" "$$")
"$work/workhealth_test" "$bad,${coord/c-host/c-bad}}" "wrong-$$"
