#!/usr/bin/env bash
# Installs, when missing, the checkers that the tests of deploy/ run
# (cmd/ftpcoord/deploy_test.go) and prints the path of the one asked for:
#   bash deploy/tools.sh systemd-analyze       (Debian's systemd package)
#   bash deploy/tools.sh promtool              (Debian's prometheus package:
#                                               only its promtool is used)
#   bash deploy/tools.sh kubernetes-validate   (PyPI, in a virtualenv; it
#                                               bundles the Kubernetes schemas
#                                               and validates offline)
# Progress goes to stderr; stdout carries only the path. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/services/lib.sh
. "$here/../tests/services/lib.sh"

KUBERNETES_VALIDATE_VERSION=1.37.0

case "${1:-}" in
systemd-analyze)
	ensure_packages systemd-analyze systemd
	command -v systemd-analyze
	;;
promtool)
	ensure_packages promtool prometheus
	command -v promtool
	;;
kubernetes-validate)
	venv=$FTPCOORD_SERVICES_DIR/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION
	# ok marks a finished install (a venv cannot be moved into place).
	if [ ! -e "$venv/ok" ]; then
		ensure_packages python3 python3
		rm -rf "$venv"
		mkdir -p "$FTPCOORD_SERVICES_DIR"
		if ! python3 -m venv "$venv" >&2 2>/dev/null; then
			rm -rf "$venv"
			# Debian's python3 needs python3-venv for venv (the file tested is
			# never executable, so ensure_packages installs it).
			ensure_packages /usr/share/doc/python3-venv/copyright python3-venv
			python3 -m venv "$venv" >&2
		fi
		log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (pip)"
		"$venv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2 ||
			die "pip install kubernetes-validate failed"
		touch "$venv/ok"
	fi
	echo "$venv/bin/kubernetes-validate"
	;;
*)
	die "usage: $0 systemd-analyze|promtool|kubernetes-validate"
	;;
esac
