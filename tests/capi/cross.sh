#!/usr/bin/env bash
# Verifies every native the Java JAR ships (build/java-native/<platform>/,
# bindings/java/natives.sh), not only builds it: on each platform the C ABI
# tests (tests/capi/run.sh PLATFORM: hostile input, the pure-ftpd cycle, the
# ledger cycle on PostgreSQL, work health) and a load of the JNI glue the way
# io.github.ftpcoord.Native loads it (jniload_test.c). linux-aarch64 runs
# under qemu-user, windows-x86_64 under wine. make test runs this (make
# test-natives alone); it installs what it needs with apt when root.
# Prints "N passed, N failed" per program and a summary line per platform.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/services/lib.sh
ensure_packages qemu-aarch64 qemu-user
ensure_packages /usr/lib/wine/wine64 wine64
ensure_packages mvn maven # the core JAR for the arm64 JVM
# natives.sh installs the cross compilers and builds all three pairs.
bash bindings/java/natives.sh >/dev/null
if [ -z "${FTPCOORD_TEST_PUREFTPD_ROOT:-}" ] || [ -z "${FTPCOORD_TEST_POSTGRES_URL:-}" ]; then
	eval "$(bash tests/services/start.sh postgres pureftpd)"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
# The native methods io.github.ftpcoord.Native declares: the glue must export each.
methods=$(sed -n 's/^ *static native [^(]* \([A-Za-z]*\)(.*/\1/p' bindings/java/src/main/java/io/github/ftpcoord/Native.java)
[ -n "$methods" ] || { echo "cross.sh: no native methods found in Native.java" >&2; exit 1; }

# arm64_jvm: Debian's arm64 JRE in a private root (build/arm64-jvm), for qemu-user.
# Its packages come from the machine's own apt sources but through private
# lists and archives: the machine gets no foreign architecture and nothing
# installed (a multiarch install would also upgrade its amd64 JDK). Prints the root.
arm64_jvm() {
	local root=$PWD/build/arm64-jvm/root apt=$PWD/build/arm64-jvm
	if [ ! -x "$root/usr/lib/jvm/java-17-openjdk-arm64/bin/java" ]; then
		mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$root/lib"
		local opts=(-qq -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Dir::State::Lists="$apt/lists"
			-o Dir::Cache::Archives="$apt/archives" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
		apt-get "${opts[@]}" update >&2
		(cd "$apt/archives" && apt-get "${opts[@]}" download openjdk-17-jre-headless:arm64 zlib1g:arm64 libstdc++6:arm64 >&2)
		for d in "$apt"/archives/*.deb; do dpkg-deb -x "$d" "$root"; done
		# The C library of the cross toolchain (libc6-arm64-cross) completes the root.
		mkdir -p "$root/lib/aarch64-linux-gnu"
		cp -a /usr/aarch64-linux-gnu/lib/. "$root/lib/aarch64-linux-gnu/"
		ln -sfn aarch64-linux-gnu/ld-linux-aarch64.so.1 "$root/lib/ld-linux-aarch64.so.1"
	fi
	echo "$root"
}

# jvm_probe ROOT: tests/capi/JniProbe.java in the arm64 JVM, from the core JAR,
# against a fresh directory of the pure-ftpd.
jvm_probe() {
	local root=$1 dir=jniprobe-$$ n=0
	(cd bindings/java && mvn -q -B -Dstyle.color=never -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip package 2>&1 | sed 's/\x1b\[0m//g')
	local jar
	jar=$(ls bindings/java/target/ftpcoord-*.jar | grep -v -e -sources -e -javadoc)
	javac -encoding UTF-8 -d "$work/probe" -cp "$jar" tests/capi/JniProbe.java
	mkdir -p "$FTPCOORD_TEST_PUREFTPD_ROOT/$dir"
	chmod 777 "$FTPCOORD_TEST_PUREFTPD_ROOT/$dir"
	for name in "invoice-1.xml" "with space.csv" "emoji-📦.json"; do
		for _ in $(seq 1 40); do printf '%s' "$name"; done >"$FTPCOORD_TEST_PUREFTPD_ROOT/$dir/$name"
		n=$((n + 1))
	done
	local config
	config=$(printf '{"protocol":"FTP","host":"%s","port":%s,"path":"/%s","pollingInterval":3600,"auth":{"credentials":{"username":"%s","password":"%s"}}}' \
		"${FTPCOORD_TEST_PUREFTPD_ADDR%:*}" "${FTPCOORD_TEST_PUREFTPD_ADDR##*:}" "$dir" "$FTPCOORD_TEST_PUREFTPD_USER" "$FTPCOORD_TEST_PUREFTPD_PASSWORD")
	local rc=0
	LC_ALL=C.UTF-8 qemu-aarch64 -L "$root" "$root/usr/lib/jvm/java-17-openjdk-arm64/bin/java" \
		-cp "$jar:$work/probe" JniProbe "$config" "$n" aarch64 || rc=$?
	rm -rf "${FTPCOORD_TEST_PUREFTPD_ROOT:?}/$dir"
	return "$rc"
}

# native_path PATH: PATH as the platform's program sees it (wine maps / to Z:).
native_path() {
	if [ "$platform" = windows-x86_64 ]; then local p=${1//\//\\}; echo "Z:$p"; else echo "$1"; fi
}

for platform in linux-x86_64 linux-aarch64 windows-x86_64; do
	start=$SECONDS
	dir=$PWD/build/java-native/$platform
	case $platform in
	linux-x86_64) cc=gcc md=$jdk/include/linux run=() core=libftpcoord.so jni=libftpcoord_jni.so exe= ;;
	linux-aarch64) cc=aarch64-linux-gnu-gcc md=$jdk/include/linux core=libftpcoord.so jni=libftpcoord_jni.so exe=
		run=(qemu-aarch64 -L /usr/aarch64-linux-gnu) ;;
	windows-x86_64) cc=x86_64-w64-mingw32-gcc md=bindings/java/src/main/c/win32 core=ftpcoord.dll jni=ftpcoord_jni.dll exe=.exe
		run=(/usr/lib/wine/wine64) ;;
	esac
	out=$work/$platform.log
	{
		# linux-x86_64's C ABI is the host's own (tests/capi/run.sh in make test)
		# and its JNI pair runs in a real JVM (bindings/java/run-tests.sh).
		[ "$platform" = linux-x86_64 ] || bash tests/capi/run.sh "$platform"
		"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/jniload_$platform$exe" tests/capi/jniload_test.c \
			-I"$jdk/include" -I"$md" $([ -z "$exe" ] && echo -ldl)
		# run.sh set the wine prefix up; the same one here.
		WINEPREFIX=$PWD/build/wine WINEDEBUG=-all WINEDLLOVERRIDES=bcryptprimitives=n \
			"${run[@]}" "$work/jniload_$platform$exe" "$(native_path "$dir/$core")" "$(native_path "$dir/$jni")" $methods
		# The whole Java path where a JVM of the platform runs here.
		[ "$platform" != linux-aarch64 ] || jvm_probe "$(arm64_jvm)"
	} 2>&1 | tr -d '\r' >"$out" && rc=0 || rc=$? # wine's programs end lines with CRLF
	grep -E '^[0-9]+ passed, [0-9]+ failed$|^(workhealth|jniload|jni): ' "$out" | sed "s/^/$platform: /"
	p=0 f=0
	while read -r a _ b _; do p=$((p + a)) f=$((f + b)); done < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out")
	if [ "$rc" -ne 0 ]; then
		cat "$out" >&2
		echo "$platform: exit status $rc" >&2
		f=$((f + 1))
	fi
	echo "natives $platform: $p passed, $f failed ($((SECONDS - start)) s)"
	[ "$f" -eq 0 ] || failed_any=1
done
[ -z "${failed_any:-}" ]
