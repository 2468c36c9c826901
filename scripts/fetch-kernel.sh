#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches Debian's stock kernel for a board without installing it: the
# versioned package behind linux-image-amd64 is downloaded and unpacked
# under the build tree, the uncompressed vmlinux is cut out of the bzImage
# (for PVH boot), and the board's module list is resolved into .ko files
# in load order (dependencies first; built-in names are skipped).
# Usage: scripts/fetch-kernel.sh BOARD OUT_DIR
# Writes OUT_DIR/vmlinux, OUT_DIR/modules/*.ko, OUT_DIR/modules/load.list,
# OUT_DIR/kernel.release. The package is cached in OUT_DIR/../kernel/.
set -eu
board=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
conf=$top/board/$board/board.conf
meta=${KEEL_KERNEL_META:-linux-image-amd64}
PATH=$PATH:/sbin:/usr/sbin

die() { echo "keel: fetch-kernel: $*" >&2; exit 1; }
[ -f "$conf" ] || die "$conf: no such board"
mkdir -p "$out"
cache=$(cd "$out/.." && pwd)/kernel
mkdir -p "$cache"

# The metapackage depends on exactly one versioned image package. When the
# archive cannot be asked, the newest cached package serves.
resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}
pkg=$(resolve)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
	apt-get update -qq >/dev/null 2>&1 || true # lists may be empty
	pkg=$(resolve)
fi
if [ -n "$pkg" ]; then
	if ! ls "$cache/$pkg"_*.deb >/dev/null 2>&1; then
		(cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root "$pkg") ||
			die "apt-get download $pkg failed"
	fi
	deb=$(ls "$cache/$pkg"_*.deb | LC_ALL=C sort | tail -n 1)
else
	deb=$(ls -t "$cache"/linux-image-*.deb 2>/dev/null | head -n 1)
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

# vmlinux: the xz stream inside the bzImage, decompressed.
bz=$root/boot/vmlinuz-$rel
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || die "$bz: no xz stream"
tail -c +"$((off + 1))" "$bz" | xz -dc --single-stream >"$out/vmlinux.tmp"
[ "$(head -c 4 "$out/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] ||
	die "$bz: payload is not an ELF vmlinux"
mv "$out/vmlinux.tmp" "$out/vmlinux"
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
