#!/usr/bin/env bash
# Builds the JVM peer (tests/jvmpeer/target/classes and target/lib) with
# Maven, installing a JDK and Maven first on a Debian machine that lacks them
# (as bindings/java/run-tests.sh does). The Go tests that run the peer call
# this; it prints nothing on success but Maven's errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/services/lib.sh
ensure_packages javac openjdk-17-jdk-headless
ensure_packages mvn maven
cd tests/jvmpeer
# Maven 3.8's console writes stray colour resets even with -B: drop them.
mvn -q -B -Dstyle.color=never package 2>&1 | sed -u 's/\x1b\[0m//g'
exit "${PIPESTATUS[0]}"
