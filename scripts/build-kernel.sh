#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds a board's tiny kernel from Debian's linux-source package: the
# package is downloaded and unpacked (never installed), tinyconfig plus
# board/BOARD/kernel.config is configured, and bzImage is built (Image
# for a board with arch=aarch64, with Debian's cross compiler). Every
# option the fragment asks for is checked in the final .config.
# Usage: scripts/build-kernel.sh BOARD OUT_DIR
#   (writes vmlinux and bzImage, or vmlinux and Image)
set -eu
board=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
frag=$top/board/$board/kernel.config
src_pkg=${KEEL_KERNEL_SOURCE:-linux-source-6.1}
jobs=${JOBS:-$(nproc)}

die() { echo "keel: build-kernel: $*" >&2; exit 1; }
[ -f "$frag" ] || die "$frag: no kernel fragment for board $board"
case "$(sed -n 's/^arch=//p' "$top/board/$board/board.conf")" in
aarch64)
	export ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-
	target=Image strip=aarch64-linux-gnu-strip ;;
*) target=bzImage strip=strip ;;
esac
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=$(cd "$out/.." && pwd)/kernel
mkdir -p "$cache"

if ! ls "$cache/$src_pkg"_*.deb >/dev/null 2>&1; then
	(cd "$cache" && apt-get download -qq -o APT::Sandbox::User=root \
		"$src_pkg") || die "apt-get download $src_pkg failed"
fi
deb=$(ls "$cache/$src_pkg"_*.deb | LC_ALL=C sort | tail -n 1)
tree=$cache/$(basename "$deb" .deb)
if [ ! -f "$tree/.unpacked" ]; then
	rm -rf "$tree" "$tree.x"
	dpkg-deb -x "$deb" "$tree.x"
	mkdir -p "$tree"
	tar -C "$tree" --strip-components=1 -xf "$tree.x"/usr/src/"$src_pkg".tar.xz
	rm -rf "$tree.x"
	touch "$tree/.unpacked"
fi

kout=$out/obj
mkdir -p "$kout"
export KBUILD_BUILD_TIMESTAMP="@${SOURCE_DATE_EPOCH:-0}"
export KBUILD_BUILD_USER=keel KBUILD_BUILD_HOST=keel
make -s -C "$tree" O="$kout" tinyconfig >/dev/null
KCONFIG_CONFIG="$kout/.config" "$tree/scripts/kconfig/merge_config.sh" \
	-m -O "$kout" "$kout/.config" "$frag" >/dev/null
make -s -C "$tree" O="$kout" olddefconfig >/dev/null

missing=
for opt in $(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' "$frag"); do
	grep -qx "$opt=y" "$kout/.config" || missing="$missing $opt"
done
[ -z "$missing" ] || die "options not set after olddefconfig:$missing"

make -s -C "$tree" O="$kout" -j"$jobs" $target
cp "$kout/vmlinux" "$out/vmlinux.tmp"
$strip "$out/vmlinux.tmp" 2>/dev/null || true
mv "$out/vmlinux.tmp" "$out/vmlinux"
cp "$kout/arch/${ARCH:-x86}/boot/$target" "$out/$target"
make -s -C "$tree" O="$kout" kernelrelease >"$out/kernel.release"
echo "  KERNEL  $(cat "$out/kernel.release") (tiny, $target $(stat -c %s "$out/$target") bytes)"
