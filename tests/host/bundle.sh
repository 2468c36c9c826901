# SPDX-License-Identifier: MIT
# keel bundle create and keel install: round trips into files, loop devices
# and from pipes; every refusal, with the slot untouched before the
# signature check and never verifiable after a failure past it. The layout
# checks and hand-made frames use format 1 (a stream: metadata, tree, lz4
# frame); format 2's header block and index are checked at the end and in
# tests/unit/test_bundle.c, its delta installs in fetch.sh and delta.sh.
. "$(dirname "$0")/../lib.sh"

cd "$WORK" || exit 1
val() { sed -n "s/^$1=//p" "$2"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
# flip FILE OFFSET: xor one byte with 0x5a
flip() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf %03o $((b ^ 90)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# unverifiable NAME SLOT: keel image verify refuses SLOT
unverifiable() {
	if "$KEEL" image verify "$2" >/dev/null 2>&1; then
		fail "$1: the slot verifies"
	else
		pass "$1"
	fi
}

mkdir -p root/etc root/bin
echo "version one" >root/etc/greeting
head -c 2500000 /dev/urandom >root/bin/blob
seq 1 300000 >root/etc/numbers
mk() { # mk NAME VERSION EPOCH BOARD [sign]
	"$KEEL" image build root -o "$1.img" --version "$2" --epoch "$3" \
		--board "$4" --name "$1" >/dev/null || fail "build $1"
	[ "${5:-sign}" = sign ] && "$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null
	"$KEEL" bundle create "$1.img" -o "$1.kb" --format 1 ||
		fail "bundle $1"
}
mk v3 3 1 qemu-x86_64
echo "version two" >root/etc/greeting
mk v2 2 1 qemu-x86_64
echo "version four" >root/etc/greeting
mk v4 4 1 qemu-x86_64
mk v5e0 5 0 qemu-x86_64
mk other 5 1 other-board
mk unsigned 6 1 qemu-x86_64 nosign
"$KEEL" image inspect v4.img >v4.txt
isize=$(val image_size v4.txt)
hblocks=$(val hash_blocks v4.txt)
dstart=$((4096 * (1 + hblocks)))   # where the lz4 frame starts
bsize=$(stat -c %s v4.kb)

# --- format ---------------------------------------------------------------
same "bundle starts with the signed header" "$(head -c 8 v4.kb)" KEELIMG1
same "tree copied verbatim" \
	"$(tail -c +$((4097)) v4.kb | head -c $((hblocks * 4096)) | sha256sum)" \
	"$(tail -c +$(($(val hash_offset v4.txt) + 1)) v4.img | head -c $((hblocks * 4096)) | sha256sum)"
same "lz4 frame magic after the tree" \
	"$(tail -c +$((dstart + 1)) v4.kb | head -c 4 | od -An -tx1 | tr -d ' ')" 04224d18
tail -c +$((dstart + 1)) v4.kb | lz4 -dc >data.bin 2>/dev/null
same "lz4 -d gives the filesystem" "$(sum data.bin)" \
	"$(head -c "$(val hash_offset v4.txt)" v4.img | sha256sum | cut -d' ' -f1)"
check "bundle inspect" "$KEEL" bundle inspect v4.kb
"$KEEL" bundle inspect v4.kb >bi.txt
same "inspect version" "$(val version bi.txt)" 4

# --- round trips ------------------------------------------------------------
check "install into a new file" "$KEEL" install v4.kb -o f.slot
check "installed file verifies" "$KEEL" image verify f.slot
check "installed file equals the image" cmp f.slot v4.img
check "install from a pipe" sh -c "cat v4.kb | '$KEEL' install - -o p.slot"
check "piped slot equals the image" cmp p.slot v4.img
check "install from a pipe in odd-sized writes" \
	sh -c "dd if=v4.kb bs=777 status=none | '$KEEL' install - -o q.slot"
check "slot written in pieces equals the image" cmp q.slot v4.img
# over a larger old slot: the footer goes to the end, old metadata is gone
head -c $((isize + 1048576)) /dev/zero >big.slot
check "install v3 into a larger file" "$KEEL" install v3.kb -o big.slot
check "install v4 over it" "$KEEL" install v4.kb -o big.slot --committed 3
check "larger file verifies" "$KEEL" image verify big.slot
same "larger file keeps its size" "$(stat -c %s big.slot)" $((isize + 1048576))
same "larger file starts with the image" "$(head -c "$isize" big.slot | sha256sum)" \
	"$(sha256sum <v4.img)"
# lz4's own tool makes acceptable frames with -B4 (independent 64 KiB)
head -c "$dstart" v4.kb >cli.kb
head -c "$(val hash_offset v4.txt)" v4.img | lz4 -B4 -BI -c >>cli.kb 2>/dev/null
check "bundle with an lz4 CLI frame installs" "$KEEL" install cli.kb -o cli.slot
check "lz4 CLI slot equals the image" cmp cli.slot v4.img

if [ "$(id -u)" = 0 ] && losetup -f >/dev/null 2>&1; then
	head -c $((isize + 65536)) /dev/zero >loop.img
	dev=$(losetup -f --show loop.img)
	head -c 8192 /dev/zero >small.img
	sdev=$(losetup -f --show small.img)
	check "install into a loop device" "$KEEL" install v4.kb -o "$dev"
	check "loop device verifies" "$KEEL" image verify "$dev"
	same "loop device holds the image" \
		"$(head -c "$isize" "$dev" | sha256sum)" "$(sha256sum <v4.img)"
	before=$(sum "$sdev")
	refuse "device too small" "size: image of" \
		"$KEEL" install v4.kb -o "$sdev"
	same "small device untouched" "$(sum "$sdev")" "$before"
	losetup -d "$dev" "$sdev"
else
	skip "loop devices (not root or none free)"
fi

# --- refusals before any write: the slot keeps v3, byte for byte ----------
"$KEEL" install v3.kb -o ref.slot >/dev/null || fail "install v3 baseline"
base=$(sum ref.slot)
untouched() { # untouched NAME PATTERN ARGS...: refused, slot unchanged
	n=$1 pat=$2; shift 2
	refuse "$n" "$pat" "$KEEL" install "$@" -o ref.slot
	same "$n: slot unchanged" "$(sum ref.slot)" "$base"
}
mkdir -p ks/release
"$KEEL" keygen -o ks/release/stranger >/dev/null
echo "release 1" >ks/policy
untouched "unsigned bundle" "signature: image is unsigned" unsigned.kb
untouched "wrong key set" "signature: .*not in the key set" v4.kb --keys ks
untouched "wrong board" "board: image is for board 'other-board'" \
	other.kb --board qemu-x86_64
untouched "older version" "version: version 2 is not above 3" v2.kb --committed 3
untouched "equal version" "version: version 3 is not above 3" v3.kb --committed 3
untouched "below --min-version" "version: version 4 is not above 4" \
	v4.kb --min-version 5
untouched "epoch below the floor" "epoch: security epoch 0 is below the floor 1" \
	v5e0.kb --floor 1
cp v4.kb forged.kb
flip forged.kb 30 # inside the signed header: version
untouched "changed signed header" "signature" forged.kb
head -c 100 v4.kb >short.kb
untouched "cut inside the metadata" "truncated" short.kb
head -c 4096 v4.kb >short.kb # block 1 tells the format: nothing written
untouched "cut after the metadata" "truncated" short.kb --committed 3
check "slot still verifies as v3" "$KEEL" image verify ref.slot
check "right board accepted" "$KEEL" install v4.kb -o ok.slot --board qemu-x86_64 \
	--committed 3 --floor 1 --min-version 4

# --- failures past the signature check: the slot never verifies ------------
broken() { # broken NAME PATTERN BUNDLE: refused, slot holds no image
	refuse "$1" "$2" "$KEEL" install "$3" -o ref.slot
	unverifiable "$1: slot does not verify" ref.slot
	"$KEEL" install v3.kb -o ref.slot >/dev/null || fail "reinstall v3"
}
for cut in $((4096 + 2000)) $((dstart + 3)) $((dstart + 20000)) \
	$(((dstart + bsize) / 2)) $((bsize - 5)) $((bsize - 1)); do
	head -c "$cut" v4.kb >cut.kb
	broken "cut at $cut of $bsize" "truncated\|lz4" cut.kb
done
cp v4.kb tree.kb
flip tree.kb $((4096 + 40)) # top block
broken "changed top tree block" "tree: top block does not match the signed root" tree.kb
if [ "$hblocks" -gt 1 ]; then
	cp v4.kb tree0.kb
	flip tree0.kb $((4096 * hblocks + 100)) # in level 0
	broken "changed level-0 tree block" "tree: level 0 block .* does not match" tree0.kb
fi
# A changed block that decompresses fine: a bundle made from a copy of the
# image with one data byte changed and the signed header kept.
cp v4.img tampered.img
mid=$(($(val data_blocks v4.txt) / 2))
flip tampered.img $((mid * 4096 + 123))
"$KEEL" bundle create tampered.img -o tampered.kb --format 1
broken "changed data block (valid lz4)" "block: block $mid does not match the signed tree" tampered.kb
# A byte flipped in the lz4 stream itself (random data: stored literally).
cp v4.kb flipped.kb
flip flipped.kb $(((dstart + bsize) / 2))
broken "byte flipped in the lz4 stream" "block: block .* does not match\|lz4" flipped.kb
cp v4.kb trailing.kb
echo x >>trailing.kb
broken "bytes after the frame" "trailer: bytes after the lz4 frame" trailing.kb
head -c "$dstart" v4.kb >dep.kb
head -c "$(val hash_offset v4.txt)" v4.img | lz4 -B4 -BD -c >>dep.kb 2>/dev/null
broken "linked lz4 blocks" "lz4: frame must have independent 64 KiB blocks" dep.kb
head -c "$dstart" v4.kb >big.kb
head -c "$(val hash_offset v4.txt)" v4.img | lz4 -B7 -c >>big.kb 2>/dev/null
broken "4 MiB lz4 blocks" "lz4: frame must have independent 64 KiB blocks" big.kb
head -c "$dstart" v4.kb >more.kb
{ head -c "$(val hash_offset v4.txt)" v4.img; head -c 4096 /dev/zero; } |
	lz4 -B4 -c >>more.kb 2>/dev/null
broken "more data than signed" "size: more data\|lz4: frame holds" more.kb
head -c "$dstart" v4.kb >less.kb
head -c $(($(val hash_offset v4.txt) - 4096)) v4.img | lz4 -B4 -c >>less.kb 2>/dev/null
broken "less data than signed" "truncated\|lz4: frame holds" less.kb
# --- format 2 (what keel bundle create writes by default) ------------------
"$KEEL" bundle create v4.img -o f2.kb || fail "bundle v4, format 2"
"$KEEL" bundle inspect f2.kb >f2.txt
same "format 2: inspect" "$(val format f2.txt)" 2
same "format 2: header block after the metadata" \
	"$(tail -c +4097 f2.kb | head -c 8)" KEELBNDL
same "format 2: its size" "$(val bundle_size f2.txt)" "$(stat -c %s f2.kb)"
check "format 2 installs from a file" "$KEEL" install f2.kb -o f2.slot
check "format 2 slot equals the image" cmp f2.slot v4.img
check "format 2 installs from a pipe" \
	sh -c "dd if=f2.kb bs=777 status=none | '$KEEL' install - -o f2p.slot"
check "format 2 piped slot equals the image" cmp f2p.slot v4.img
cp f2.kb f2hdr.kb
flip f2hdr.kb $((4096 + 24)) # data_blocks in the header block
untouched "format 2: changed header block" "bundle header\|header" f2hdr.kb \
	--committed 3
cp f2.kb f2idx.kb
flip f2idx.kb $(($(val index_offset f2.txt) + 1))
broken "format 2: changed index" "index" f2idx.kb
head -c 6000 f2.kb >f2cut.kb
untouched "format 2: cut in the header block" "truncated" f2cut.kb \
	--committed 3
for cut in $(($(val data_offset f2.txt) + 100)) \
	$(($(stat -c %s f2.kb) - 3)); do
	head -c "$cut" f2.kb >f2cut.kb
	broken "format 2: cut at $cut" "truncated\|lz4\|header\|index" \
		f2cut.kb
done
refuse "missing bundle" "open" "$KEEL" install nonexistent.kb -o x.slot
[ -e x.slot ] && fail "a slot file was left behind" || pass "no slot file left behind"

finish
