#!/bin/sh
# SPDX-License-Identifier: MIT
# keel disk: the GPT it writes is read back by sgdisk, sfdisk and partx;
# slot images and their footers land in place; etc and var are clean
# ext4; rewriting a slot of an existing disk touches nothing else.
. "$(dirname "$0")/../lib.sh"
PATH=$PATH:/usr/sbin:/sbin

for t in sgdisk sfdisk partx e2fsck dumpe2fs; do
	command -v $t >/dev/null || { skip "$t missing (scripts/deps.sh)"; finish; exit 0; }
done

# part DISK N: the bytes of partition N (start and size from sfdisk).
part() {
	line=$(sfdisk -d "$1" | grep "^$1$2 ")
	start=$(echo "$line" | sed 's/.*start= *\([0-9]*\).*/\1/')
	size=$(echo "$line" | sed 's/.*size= *\([0-9]*\).*/\1/')
	dd if="$1" bs=512 skip="$start" count="$size" status=none
}

mkdir -p "$WORK/ra/etc" "$WORK/rb/etc"
echo a >"$WORK/ra/etc/which"
echo b >"$WORK/rb/etc/which"
"$KEEL" image build "$WORK/ra" -o "$WORK/a.img" --board qemu-x86_64 >/dev/null
"$KEEL" image build "$WORK/rb" -o "$WORK/b.img" --board qemu-x86_64 >/dev/null
D=$WORK/disk.img
check "new disk" "$KEEL" disk --board qemu-x86_64 --slot-a "$WORK/a.img" -o "$D"

check "sgdisk finds no problems" sh -c "sgdisk -v '$D' | grep -q 'No problems found'"
sgdisk -p "$D" >"$WORK/sgdisk" 2>&1
i=1
for name in keel-a keel-b keel-state keel-etc keel-var; do
	check "sgdisk names $name" grep -Eq "^ +$i .* $name\$" "$WORK/sgdisk"
	check "sfdisk names $name" sh -c "sfdisk -d '$D' | grep -q '^$D$i .*name=\"$name\"'"
	i=$((i + 1))
done
same "partx sees five partitions" "$(partx -g -o NAME "$D" | tr '\n' ' ')" \
	"keel-a keel-b keel-state keel-etc keel-var "
same "slot sizes (sectors)" "$(partx -g -o SECTORS "$D" | tr -d ' ' | tr '\n' ' ')" \
	"524288 524288 2048 32768 131072 "
same "1 MiB alignment" "$(partx -g -o START "$D" | awk '$1 % 2048' | wc -l)" 0
alloc=$(du -k "$D" | cut -f1)
check "sparse ($alloc KiB allocated)" test "$alloc" -lt 65536

# Slot A: the image at the start, its footer again at the partition's end.
part "$D" 1 >"$WORK/slot-a"
isz=$(stat -c %s "$WORK/a.img")
same "slot A holds the image" "$(head -c "$isz" "$WORK/slot-a" | sha256sum)" \
	"$(sha256sum <"$WORK/a.img")"
same "footer at the partition end" "$(tail -c 64 "$WORK/slot-a" | od -An -tx1)" \
	"$(tail -c 64 "$WORK/a.img" | od -An -tx1)"
check "the slot reads as an image" "$KEEL" image inspect "$WORK/slot-a"
same "slot B empty" "$(part "$D" 2 | tr -d '\0' | wc -c)" 0

for pn in 4:keel-etc 5:keel-var; do
	label=${pn#*:}
	part "$D" "${pn%%:*}" >"$WORK/fs"
	check "$label is clean ext4" e2fsck -fn "$WORK/fs"
	check "$label label" sh -c "dumpe2fs -h '$WORK/fs' 2>/dev/null | grep -q 'volume name: *$label\$'"
done

# An existing disk: only the named slot is rewritten.
head -c $((34 * 512)) "$D" | sha256sum >"$WORK/gpt.before"
part "$D" 4 | sha256sum >"$WORK/etc.before"
part "$D" 1 | sha256sum >"$WORK/a.before"
check "rewrite slot B" "$KEEL" disk --slot-b "$WORK/b.img" -o "$D"
part "$D" 2 >"$WORK/slot-b"
same "slot B holds image b" "$(head -c "$(stat -c %s "$WORK/b.img")" "$WORK/slot-b" | sha256sum)" \
	"$(sha256sum <"$WORK/b.img")"
same "GPT untouched" "$(head -c $((34 * 512)) "$D" | sha256sum)" "$(cat "$WORK/gpt.before")"
same "etc untouched" "$(part "$D" 4 | sha256sum)" "$(cat "$WORK/etc.before")"
same "slot A untouched" "$(part "$D" 1 | sha256sum)" "$(cat "$WORK/a.before")"
check "rewrite slot A with b" "$KEEL" disk --slot-a "$WORK/b.img" -o "$D"
same "old bytes of slot A cleared" "$(part "$D" 1 | sha256sum)" \
	"$(part "$D" 2 | sha256sum)"

# Refusals.
sed 's/^part.a=keel-a .*/part.a=keel-a 4K/' "$TOP/board/qemu-x86_64/board.conf" \
	>"$WORK/small.conf"
refuse "image larger than its slot, with a hint" "do not fit .*raise part.a and part.b" \
	"$KEEL" disk --board "$WORK/small.conf" --slot-a "$WORK/a.img" -o "$WORK/d2"
check "no disk left behind" test ! -e "$WORK/d2" -a ! -e "$WORK/d2.tmp"
refuse "different layout" "differs from board" \
	"$KEEL" disk --board "$WORK/small.conf" --slot-b "$WORK/b.img" -o "$D"
head -c 8192 /dev/urandom >"$WORK/junk.img"
refuse "not an image" "no keel image footer" \
	"$KEEL" disk --slot-a "$WORK/junk.img" -o "$WORK/d3"
refuse "new disk needs slot A" "needs --slot-a" \
	"$KEEL" disk --slot-b "$WORK/b.img" -o "$WORK/d4"
refuse "no output" "usage" "$KEEL" disk --slot-a "$WORK/a.img"
printf 'name=x\nbogus=1\n' >"$WORK/bad.conf"
refuse "bad board file" "unknown key 'bogus'" \
	"$KEEL" disk --board "$WORK/bad.conf" --slot-a "$WORK/a.img" -o "$WORK/d5"
cp "$D" "$WORK/bad-crc.img"
printf '\377' | dd of="$WORK/bad-crc.img" bs=1 seek=$((512 + 60)) conv=notrunc status=none
refuse "GPT header CRC checked" "CRC" \
	"$KEEL" disk --slot-b "$WORK/b.img" -o "$WORK/bad-crc.img"
finish
