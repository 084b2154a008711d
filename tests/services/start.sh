#!/usr/bin/env bash
# Start the test servers (all, or those named) and print their settings:
#   eval "$(tests/services/start.sh)"             # every service
#   eval "$(tests/services/start.sh postgres)"
# A service whose variable (EXTERNAL_VAR in lib.sh) is already set is not
# started: the tests use the server the environment names (see README.md here).
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

for s in ${*:-$KNOWN_SERVICES}; do
	case " $KNOWN_SERVICES " in *" $s "*) ;; *) die "unknown service $s (known: $KNOWN_SERVICES)" ;; esac
	var=${EXTERNAL_VAR[$s]}
	if [ -n "${!var:-}" ]; then
		log "$s: using $var from the environment"
		printf "export %s='%s'\n" "$var" "${!var}"
		continue
	fi
	bash "$here/$s.sh" start
done
