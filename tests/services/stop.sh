#!/usr/bin/env bash
# Stop the test servers (all, or those named); --purge also deletes their data.
set -euo pipefail
here=$(dirname "$0")
. "$here/lib.sh"

purge=
args=()
for a in "$@"; do
	if [ "$a" = --purge ]; then purge=1; else args+=("$a"); fi
done
for s in ${args[*]:-$KNOWN_SERVICES}; do
	bash "$here/$s.sh" stop
done
if [ -n "$purge" ]; then
	log "removing $FTPCOORD_SERVICES_DIR"
	rm -rf "$FTPCOORD_SERVICES_DIR"
fi
