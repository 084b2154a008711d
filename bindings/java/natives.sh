#!/usr/bin/env bash
# Builds the Java bindings' native pair (libftpcoord and the JNI glue) for each
# platform the JAR ships, into build/java-native/<platform>/, from this Linux
# x86-64 machine: cgo with Debian's cross compilers. `make jni` runs it; the
# JAR packs build/java-native/*/ under native/.
#
#   bash bindings/java/natives.sh [PLATFORM...]   (default: all of PLATFORMS)
#
# The builds are reproducible (the same bytes from the same commit, in any
# directory): -trimpath, no build or VCS id, stripped, file paths mapped,
# and no PE link timestamp on Windows. bindings/java/reproducible.sh checks it.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The platforms io.github.ftpcoord.Native loads (its SUPPORTED list names the same).
PLATFORMS="linux-x86_64 linux-aarch64 windows-x86_64"
. tests/services/lib.sh

# The JDK's jni.h (the same on every platform); jni_md.h comes per platform.
ensure_packages javac openjdk-17-jdk-headless
jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
GO=${GO:-go}

build() {
	local platform=$1 goos goarch cc core jni mdinc goext= ldextra=() cextra=()
	case $platform in
	linux-x86_64)
		goos=linux goarch=amd64 cc=gcc core=libftpcoord.so jni=libftpcoord_jni.so
		ensure_packages gcc gcc libc6-dev
		mdinc=$jdk/include/linux
		# The JNI library finds libftpcoord.so beside it (the loader also loads it first).
		ldextra=(-Wl,-rpath,'$ORIGIN')
		cextra=(-fPIC)
		;;
	linux-aarch64)
		goos=linux goarch=arm64 cc=aarch64-linux-gnu-gcc core=libftpcoord.so jni=libftpcoord_jni.so
		ensure_packages "$cc" gcc-aarch64-linux-gnu libc6-dev-arm64-cross
		# Linux's jni_md.h is the same on every Linux architecture (LP64 here).
		mdinc=$jdk/include/linux
		ldextra=(-Wl,-rpath,'$ORIGIN')
		cextra=(-fPIC)
		;;
	windows-x86_64)
		goos=windows goarch=amd64 cc=x86_64-w64-mingw32-gcc core=ftpcoord.dll jni=ftpcoord_jni.dll
		ensure_packages "$cc" gcc-mingw-w64-x86-64
		# Debian has no Windows JDK: our own jni_md.h (see its comment).
		mdinc=bindings/java/src/main/c/win32
		# PE headers carry a link time unless told not to; libgcc static, so
		# that the DLL needs nothing beside Windows' own DLLs and ftpcoord.dll.
		ldextra=(-Wl,--no-insert-timestamp -static-libgcc)
		goext="-Wl,--no-insert-timestamp -static-libgcc"
		;;
	*)
		echo "natives.sh: unknown platform $platform (known: $PLATFORMS)" >&2
		exit 2
		;;
	esac
	command -v "$cc" >/dev/null || { echo "natives.sh: $cc is missing" >&2; exit 1; }
	local out=build/java-native/$platform
	mkdir -p "$out"
	# -s -w: no symbol table or DWARF (Go's panics still name functions: they
	# read pclntab); a third of the size.
	CGO_ENABLED=1 GOOS=$goos GOARCH=$goarch CC=$cc CGO_CFLAGS="-O2 -g0" \
		"$GO" build -trimpath -buildvcs=false -buildmode=c-shared \
		-ldflags="-buildid= -s -w${goext:+ '-extldflags=$goext'}" -o "$out/$core" ./capi
	rm -f "$out/${core%.*}.h" # cgo's own header; capi/ftpcoord.h is the documented one
	"$cc" -std=c11 -O2 -g0 -Wall -Wextra -Werror -shared "${cextra[@]}" -s \
		-ffile-prefix-map="$PWD"=. \
		-I"$jdk/include" -I"$mdinc" -Icapi \
		-o "$out/$jni" bindings/java/src/main/c/ftpcoord_jni.c \
		-L"$out" -lftpcoord "${ldextra[@]}"
	echo "natives: $out/$core $out/$jni"
}

for p in ${@:-$PLATFORMS}; do
	build "$p"
done
