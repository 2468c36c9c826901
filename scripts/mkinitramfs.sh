#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes a board's initramfs: a reproducible newc cpio (sorted names, owner
# 0:0, every mtime SOURCE_DATE_EPOCH) holding /init, /board.conf, the
# board's kernel modules with their load order, /dev/console and, when
# given, /bin/keel (keel-init runs its agents and the app's setup, keel
# app, from it: docs/AGENTS.md; keel-init without it starts no app).
# Usage: scripts/mkinitramfs.sh BOARD BOARD_OUT_DIR INIT [OUT [KEEL]]
#   BOARD_OUT_DIR is where fetch-kernel.sh left modules/ (absent for a
#   kernel with everything built in); INIT becomes /init (keel-init, or a
#   test init); OUT defaults to BOARD_OUT_DIR/initramfs.cpio; KEEL is the
#   keel binary (none: only for a test init that needs no keel). BOARD_CONF in the
#   environment replaces board/BOARD/board.conf (tests vary a key).
set -eu
board=$1 dir=$2 init=$3
out=${4:-$dir/initramfs.cpio}
keel=${5:-}
top=$(cd "$(dirname "$0")/.." && pwd)
conf=${BOARD_CONF:-$top/board/$board/board.conf}
epoch=${SOURCE_DATE_EPOCH:-0}
PATH=$PATH:/sbin:/usr/sbin

die() { echo "keel: mkinitramfs: $*" >&2; exit 1; }
[ -f "$conf" ] || die "$conf: no such board"
[ -x "$init" ] || die "$init: not an executable"
[ -z "$keel" ] || [ -x "$keel" ] || die "$keel: not an executable"
[ "$(id -u)" = 0 ] || die "needs root for the dev/console node"

stage=$out.d
rm -rf "$stage"
mkdir -p "$stage/dev" "$stage/lib/modules"
cp "$init" "$stage/init"
chmod 0755 "$stage/init"
if [ -n "$keel" ]; then
	mkdir -p "$stage/bin"
	cp "$keel" "$stage/bin/keel"
fi
cp "$conf" "$stage/board.conf"
: >"$stage/lib/modules/load.list"
if [ -f "$dir/modules/load.list" ]; then
	while read -r ko; do
		cp "$dir/modules/$ko" "$stage/lib/modules/$ko"
		echo "$ko" >>"$stage/lib/modules/load.list"
	done <"$dir/modules/load.list"
fi
mknod -m 0600 "$stage/dev/console" c 5 1
find "$stage" -type f ! -name init ! -name keel -exec chmod 0644 {} +
[ -z "$keel" ] || chmod 0755 "$stage/bin/keel"
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -exec touch -h -d "@$epoch" {} +

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
nmod=$(wc -l <"$stage/lib/modules/load.list")
user=$(($(stat -c %s "$stage/init") + $(stat -c %s "$stage/bin/keel" 2>/dev/null || echo 0)))
rm -rf "$stage"
echo "  CPIO    $out ($(stat -c %s "$out") bytes, $nmod modules," \
	"userland $user bytes)"
