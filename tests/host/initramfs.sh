#!/bin/sh
# SPDX-License-Identifier: MIT
# scripts/mkinitramfs.sh: exactly the expected entries, in load order,
# owned by root, with fixed mtimes, and the same bytes on a second run.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "needs root (dev/console node)"
	finish
	exit 0
fi
mk="$TOP/scripts/mkinitramfs.sh"
mkdir -p "$WORK/b/modules" "$WORK/x"
printf 'b-dep.ko\na-mod.ko\n' >"$WORK/b/modules/load.list"
echo dep >"$WORK/b/modules/b-dep.ko"
echo mod >"$WORK/b/modules/a-mod.ko"
echo unlisted >"$WORK/b/modules/c-unlisted.ko"
printf '#!/bin/sh\n' >"$WORK/init"
chmod 755 "$WORK/init"

check "build" env SOURCE_DATE_EPOCH=1700000000 "$mk" qemu-x86_64 "$WORK/b" \
	"$WORK/init" "$WORK/one.cpio"
touch "$WORK/init" "$WORK/b/modules/a-mod.ko"
check "build again" env SOURCE_DATE_EPOCH=1700000000 "$mk" qemu-x86_64 \
	"$WORK/b" "$WORK/init" "$WORK/two.cpio"
check "reproducible" cmp "$WORK/one.cpio" "$WORK/two.cpio"

cpio -t --quiet <"$WORK/one.cpio" >"$WORK/list"
same "entries, sorted" "$(tr '\n' ' ' <"$WORK/list")" \
	"board.conf dev dev/console init lib lib/modules lib/modules/a-mod.ko lib/modules/b-dep.ko lib/modules/load.list "
cpio -tv --quiet <"$WORK/one.cpio" >"$WORK/long"
same "all owned by root" "$(awk '$3 != "root" || $4 != "root"' "$WORK/long" | wc -l)" 0
same "one mtime" "$(awk '{print $(NF-3), $(NF-2), $(NF-1)}' "$WORK/long" | sort -u | wc -l)" 1
check "console is a char device" grep -q '^crw------- .* 5, *1 .* dev/console$' "$WORK/long"
check "init executable" grep -q '^-rwxr-xr-x .* init$' "$WORK/long"
(cd "$WORK/x" && cpio -id --quiet <"$WORK/one.cpio" 2>/dev/null)
same "load order kept" "$(tr '\n' ' ' <"$WORK/x/lib/modules/load.list")" \
	"b-dep.ko a-mod.ko "
check "board file" cmp "$WORK/x/board.conf" "$TOP/board/qemu-x86_64/board.conf"

# With keel for the agents: /bin/keel, executable, same bytes.
printf '#!/bin/sh\n# keel\n' >"$WORK/keel"
chmod 755 "$WORK/keel"
check "with keel" env SOURCE_DATE_EPOCH=1700000000 "$mk" qemu-x86_64 "$WORK/b" \
	"$WORK/init" "$WORK/k.cpio" "$WORK/keel"
cpio -tv --quiet <"$WORK/k.cpio" >"$WORK/klong"
check "bin/keel executable" grep -q '^-rwxr-xr-x .* bin/keel$' "$WORK/klong"
same "bin/keel is keel" "$(cpio -i --to-stdout --quiet bin/keel <"$WORK/k.cpio")" \
	"$(cat "$WORK/keel")"
refuse "keel must exist" "not an executable" "$mk" qemu-x86_64 "$WORK/b" \
	"$WORK/init" "$WORK/n.cpio" "$WORK/none"

# Without modules (the tiny kernel): an empty load list.
mkdir -p "$WORK/tiny"
check "no modules" "$mk" qemu-x86_64 "$WORK/tiny" "$WORK/init" "$WORK/t.cpio"
same "empty load list" "$(cpio -i --to-stdout --quiet lib/modules/load.list <"$WORK/t.cpio" | wc -c)" 0
refuse "init must exist" "not an executable" "$mk" qemu-x86_64 "$WORK/b" \
	"$WORK/none" "$WORK/n.cpio"
refuse "board must exist" "no such board" "$mk" nope "$WORK/b" "$WORK/init" \
	"$WORK/n.cpio"
finish
