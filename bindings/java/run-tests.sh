#!/usr/bin/env bash
# Runs the Java modules' JUnit 5 tests (mvn -q verify of reactor/pom.xml: the
# core bindings in bindings/java and the Spring Integration adapter in
# bindings/java/spring) against the servers of tests/services, after building
# the native half (make jni). make test calls this after the C ABI test.
# Prints Surefire's summary per module and in all, and "N passed, N failed"
# (mvn -q hides Surefire's own lines when all pass).
set -euo pipefail
cd "$(dirname "$0")/../.."
# A JDK, Maven, gcc, psql and mariadb (the tests make their databases with
# them); with apt when root, as tests/services does for the servers.
. tests/services/lib.sh
ensure_packages javac openjdk-17-jdk-headless
ensure_packages mvn maven
ensure_packages gcc gcc libc6-dev
ensure_packages psql postgresql-client
ensure_packages mariadb mariadb-client
if [ -z "${FTPCOORD_TEST_PUREFTPD_ROOT:-}" ]; then
	eval "$(bash tests/services/start.sh postgres pureftpd sshd)"
fi
# The Spring module has one MariaDB case.
if [ -z "${FTPCOORD_TEST_MYSQL_URL:-}" ]; then
	eval "$(bash tests/services/start.sh mariadb)"
fi
make -s jni >/dev/null
cd bindings/java
modules=". spring"
for m in $modules; do rm -rf "$m/target/surefire-reports"; done
# Maven 3.8's console writes stray colour resets even with -B: drop them.
set +e
mvn -q -B -Dstyle.color=never -f reactor/pom.xml verify 2>&1 | sed -u 's/\x1b\[0m//g'
rc=${PIPESTATUS[0]}
set -e
tests=0 failures=0 errors=0 skipped=0
for m in $modules; do
	mt=0 mf=0 me=0 ms=0
	for f in "$m"/target/surefire-reports/TEST-*.xml; do
		[ -e "$f" ] || continue
		# The first line with <testsuite carries the counts.
		line=$(grep -m1 -o '<testsuite [^>]*>' "$f")
		for k in tests failures errors skipped; do
			v=$(sed -n "s/.* $k=\"\([0-9]*\)\".*/\1/p" <<<"$line")
			eval "$k=\$(( $k + ${v:-0} ))"
			case $k in tests) mt=$((mt + ${v:-0})) ;; failures) mf=$((mf + ${v:-0})) ;;
				errors) me=$((me + ${v:-0})) ;; skipped) ms=$((ms + ${v:-0})) ;; esac
		done
	done
	name=$([ "$m" = . ] && echo core || echo "$m")
	echo "Java $name: Tests run: $mt, Failures: $mf, Errors: $me, Skipped: $ms"
done
echo "Java: Tests run: $tests, Failures: $failures, Errors: $errors, Skipped: $skipped"
echo "$((tests - failures - errors - skipped)) passed, $((failures + errors)) failed"
if [ "$tests" -eq 0 ] && [ "$rc" -eq 0 ]; then
	echo "run-tests.sh: no test ran" >&2
	exit 1
fi
exit "$rc"
