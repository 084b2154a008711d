#!/usr/bin/env bash
# Start the test servers (all, or those named) and print their settings:
#   eval "$(tests/services/start.sh)"            # postgres and mariadb
#   eval "$(tests/services/start.sh postgres)"
# A service whose URL variable is already set is not started: the tests use
# the server it names (see README.md here).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

KNOWN="postgres mariadb"
declare -A URL_VAR=([postgres]=FTPCOORD_TEST_POSTGRES_URL [mariadb]=FTPCOORD_TEST_MYSQL_URL)

services=${*:-$KNOWN}
for s in $services; do
	case " $KNOWN " in *" $s "*) ;; *) die "unknown service $s (known: $KNOWN)" ;; esac
	var=${URL_VAR[$s]}
	if [ -n "${!var:-}" ]; then
		log "$s: using $var from the environment"
		printf "export %s='%s'\n" "$var" "${!var}"
		continue
	fi
	bash "$here/$s.sh" start
done
