#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches Debian's stock kernel for a board without installing it: the
# versioned package behind linux-image-amd64 (linux-image-arm64 for a
# board with arch=aarch64) is downloaded and unpacked under the build
# tree, the kernel QEMU boots is laid out (x86_64: the uncompressed
# vmlinux cut out of the bzImage, for PVH boot; aarch64: the Image as
# Debian ships it, uncompressed), and the board's module list is resolved
# into .ko files in load order (dependencies first; built-in names are
# skipped). Packages of another architecture than this machine's come
# through scripts/fetch-deb.sh (a private apt configuration).
# Usage: scripts/fetch-kernel.sh BOARD OUT_DIR
# Writes OUT_DIR/vmlinux or OUT_DIR/Image, OUT_DIR/modules/*.ko,
# OUT_DIR/modules/load.list, OUT_DIR/kernel.release. The package is cached
# in OUT_DIR/../kernel/.
set -eu
board=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
conf=$top/board/$board/board.conf
PATH=$PATH:/sbin:/usr/sbin

die() { echo "keel: fetch-kernel: $*" >&2; exit 1; }
[ -f "$conf" ] || die "$conf: no such board"
arch=$(sed -n 's/^arch=//p' "$conf")
case "${arch:-x86_64}" in
x86_64) deb_arch=amd64 ;;
aarch64) deb_arch=arm64 ;;
*) die "$conf: arch=$arch" ;;
esac
meta=${KEEL_KERNEL_META:-linux-image-$deb_arch}
native=$(dpkg --print-architecture)
mkdir -p "$out"
cache=$(cd "$out/.." && pwd)/kernel
mkdir -p "$cache"

# The metapackage depends on exactly one versioned image package. When the
# archive cannot be asked, the newest cached package serves.
resolve() {
	if [ "$deb_arch" != "$native" ]; then
		"$top/scripts/fetch-deb.sh" "$deb_arch" --depends "$meta"
		return
	fi
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}
pkg=$(resolve || true)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ] && [ "$deb_arch" = "$native" ]; then
	apt-get update -qq >/dev/null 2>&1 || true # lists may be empty
	pkg=$(resolve)
fi
if [ -n "$pkg" ]; then
	if ! ls "$cache/$pkg"_*.deb >/dev/null 2>&1; then
		if [ "$deb_arch" != "$native" ]; then
			"$top/scripts/fetch-deb.sh" "$deb_arch" "$cache" "$pkg" \
				>/dev/null
		else
			(cd "$cache" && apt-get download -qq \
				-o APT::Sandbox::User=root "$pkg")
		fi || die "apt-get download $pkg failed"
	fi
	deb=$(ls "$cache/$pkg"_*.deb | LC_ALL=C sort | tail -n 1)
else
	deb=$(ls -t "$cache"/linux-image-*_"$deb_arch".deb 2>/dev/null |
		head -n 1)
	[ -n "$deb" ] || die "cannot resolve $meta (run apt-get update)"
fi

root=$cache/$(basename "$deb" .deb)
if [ ! -f "$root/.unpacked" ]; then
	rm -rf "$root"
	dpkg-deb -x "$deb" "$root"
	touch "$root/.unpacked"
fi
rel=$(ls "$root/lib/modules" | head -n 1)
[ -n "$rel" ] || die "$deb: no lib/modules"
[ -f "$root/lib/modules/$rel/modules.dep" ] || depmod -b "$root" "$rel"

if [ "$arch" = aarch64 ]; then
	# Image: what QEMU's -kernel loads on arm64 (Debian's is not
	# compressed: the magic "ARMd" at offset 56).
	img=$root/boot/vmlinuz-$rel
	[ "$(dd if="$img" bs=1 skip=56 count=4 2>/dev/null)" = ARMd ] ||
		die "$img: not an uncompressed arm64 Image"
	cp "$img" "$out/Image.tmp"
	mv "$out/Image.tmp" "$out/Image"
else
	# vmlinux: the xz stream inside the bzImage, decompressed.
	bz=$root/boot/vmlinuz-$rel
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -n 1 | cut -d: -f1)
	[ -n "$off" ] || die "$bz: no xz stream"
	tail -c +"$((off + 1))" "$bz" | xz -dc --single-stream >"$out/vmlinux.tmp"
	[ "$(head -c 4 "$out/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
		die "$bz: payload is not an ELF vmlinux"
	mv "$out/vmlinux.tmp" "$out/vmlinux"
fi
echo "$rel" >"$out/kernel.release"

# Modules: modprobe prints "insmod PATH" per module, dependencies first,
# and "builtin NAME" for what the kernel has built in.
mods=$(sed -n 's/^modules=//p' "$conf")
rm -rf "$out/modules"
mkdir -p "$out/modules"
: >"$out/modules/load.list"
for m in $mods; do
	deps=$(modprobe -d "$root" -S "$rel" --show-depends "$m" 2>&1) ||
		die "module $m: $deps"
	echo "$deps" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		ko=$(basename "$path")
		grep -qx "$ko" "$out/modules/load.list" && continue
		cp "$path" "$out/modules/$ko"
		echo "$ko" >>"$out/modules/load.list"
	done
done
echo "  KERNEL  $rel ($(wc -l <"$out/modules/load.list") modules)"
