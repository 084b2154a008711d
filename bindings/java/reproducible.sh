#!/usr/bin/env bash
# Builds the Java artifacts twice from this tree (its tracked and new files,
# copied into two directories of different paths) with `make java`, and
# checks that:
#   - both builds give the same bytes (sha256) for every native and every JAR
#     (main, -sources, -javadoc of both modules): a reproducible build;
#   - the core JAR packs each shipped platform's pair under native/<platform>/
#     and names its module (Automatic-Module-Name);
#   - the Spring JAR carries META-INF/spring-configuration-metadata.json with
#     the ftpcoord.* properties (IDE completion), and names its module.
# make test runs it (make java-check alone). Prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/services/lib.sh
ensure_packages mvn maven
ensure_packages unzip unzip
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() { # check DESCRIPTION CMD...
	local what=$1; shift
	if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $what" >&2; fi
}

for copy in a b-other-path; do
	mkdir -p "$work/$copy"
	git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$work/$copy"
	(cd "$work/$copy" && make -s java >"$work/$copy.log" 2>&1) || { cat "$work/$copy.log" >&2; exit 1; }
done

artifacts() { # the files compared, relative to a tree
	(cd "$1" && ls build/java-native/*/* bindings/java/target/*.jar bindings/java/spring/target/*.jar)
}
list=$(artifacts "$work/a")
check "the same artifacts in both builds" [ "$list" = "$(artifacts "$work/b-other-path")" ]
for f in $list; do
	a=$(sha256sum <"$work/a/$f") b=$(sha256sum <"$work/b-other-path/$f")
	check "$f differs between the two builds" [ "$a" = "$b" ]
	echo "${a%% *}  $f"
done

core=$(ls "$work"/a/bindings/java/target/ftpcoord-*.jar | grep -v -e -sources -e -javadoc)
spring=$(ls "$work"/a/bindings/java/spring/target/ftpcoord-spring-integration-*.jar | grep -v -e -sources -e -javadoc)
entries=$(unzip -Z1 "$core")
platforms=$(sed -n 's/.*SUPPORTED = List.of(\(.*\));/\1/p' bindings/java/src/main/java/io/github/ftpcoord/Native.java | tr -d '",')
check "Native.SUPPORTED found" [ -n "$platforms" ]
for p in $platforms; do
	case $p in windows-*) libs="ftpcoord.dll ftpcoord_jni.dll" ;; *) libs="libftpcoord.so libftpcoord_jni.so" ;; esac
	for l in $libs; do
		check "the core JAR has native/$p/$l" grep -qx "native/$p/$l" <<<"$entries"
	done
done
check "the core JAR's manifest names its module" grep -q '^Automatic-Module-Name: io.github.ftpcoord' <(unzip -p "$core" META-INF/MANIFEST.MF)
check "the Spring JAR's manifest names its module" grep -q '^Automatic-Module-Name: io.github.ftpcoord.spring' <(unzip -p "$spring" META-INF/MANIFEST.MF)
check "the Spring JAR has the ftpcoord.* configuration metadata" \
	grep -q '"name": *"ftpcoord\.' <(unzip -p "$spring" META-INF/spring-configuration-metadata.json)
for j in "$core" "$spring"; do
	check "${j##*/} has a sources JAR" [ -s "${j%.jar}-sources.jar" ]
	check "${j##*/} has a javadoc JAR with its index" grep -qx index.html <(unzip -Z1 "${j%.jar}-javadoc.jar")
done
echo "JAR size: $(stat -c %s "$core") bytes (${core##*/}, natives of $(wc -w <<<"$platforms") platforms)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
