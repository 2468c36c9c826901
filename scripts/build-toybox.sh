#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds a static musl toybox (the demo image's userland) from Debian's
# toybox source package: only the upstream tarball is fetched (the archive
# has been seen to lack the Debian packaging tarball). Config: defconfig
# plus sh from pending; commands that need crypt() are configured out, as
# musl's libc.a in Debian has none. Cached: an existing binary is kept.
# Usage: scripts/build-toybox.sh BUILD_DIR   (writes BUILD_DIR/deps/bin/toybox)
# Env: CC (musl-gcc), STRIP (strip), UAPI_ASM (the machine's asm/ kernel
# headers; a cross build gives its CPU's).
set -eu
out=$1
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=$out/deps/bin/toybox
src=${DEP_SRC:-$out/deps/src}/toybox
tree=$src/tree
CC=${CC:-musl-gcc}
STRIP=${STRIP:-strip}
UAPI_ASM=${UAPI_ASM:-/usr/include/$(gcc -print-multiarch)/asm}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
export KEEL_APT_DIR=${KEEL_APT_DIR:-$out/apt}

[ -x "$bin" ] && exit 0
if [ ! -d "$tree" ]; then
	rm -rf "$src"
	"$top/scripts/fetch-src.sh" toybox "$src" --tar-only
	mkdir -p "$tree"
	tar -C "$tree" --strip-components=1 -xf "$src"/toybox_*.orig.tar.*
fi

# Kernel UAPI headers for the few commands that ask for them; musl-gcc
# does not search /usr/include.
inc=$out/deps/toybox-include
mkdir -p "$inc"
for d in linux asm-generic mtd; do
	[ -e "$inc/$d" ] || ln -s "/usr/include/$d" "$inc/$d"
done
[ -e "$inc/asm" ] || ln -s "$UAPI_ASM" "$inc/asm"

cd "$tree"
make -s defconfig >/dev/null
# sh from pending; crypt() users out (musl's libc.a in Debian has no crypt).
sed -i -e 's/^# CONFIG_SH is not set$/CONFIG_SH=y/' \
	-e 's/^CONFIG_\(PASSWD\|SU\|LOGIN\|MKPASSWD\|SULOGIN\)=y$/# CONFIG_\1 is not set/' \
	.config
grep -qx 'CONFIG_SH=y' .config || echo 'CONFIG_SH=y' >>.config
for c in PASSWD SU LOGIN MKPASSWD; do
	! grep -qx "CONFIG_$c=y" .config || { echo "build-toybox: $c still on" >&2; exit 1; }
done
make -s CC="$CC" CFLAGS="-Os -isystem $inc" LDFLAGS="--static" \
	NOSTRIP= toybox >/dev/null
mkdir -p "$(dirname "$bin")"
cp toybox "$bin.tmp"
$STRIP "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "  DEP     toybox $(stat -c %s "$bin") bytes (from Debian source" \
	"$(basename "$src"/toybox_*.orig.tar.* | sed 's/\.orig\.tar.*//'))"
