# SPDX-License-Identifier: MIT
# Delta installs of a Debian image (an mmdebstrap rootfs with nginx, made
# once and kept in $O/cache): a one-file change reads under 5% of the
# bundle, a rebuild of the same tree reads no data block, and a
# squashfs image (packed, not aligned) is measured beside it.
. "$(dirname "$0")/../lib.sh"

need_debian_rootfs
cd "$WORK" || exit 1
mkdir root && tar -C root -xf "$ROOTFS" || { fail "unpacking $ROOTFS"; finish; exit 1; }
export SOURCE_DATE_EPOCH=1700000000

# mk NAME VERSION [FS]: signed image and format-2 bundle of root/
mk() {
	"$KEEL" image build root -o "$1.img" --version "$2" --fs "${3:-erofs}" \
		--board delta-board >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "$1.kb" >/dev/null
}
# delta NAME FROM: installs NAME.kb into a new slot from FROM.img; sets
# $read (bundle bytes read), $decoded, $size (the bundle's size)
delta() {
	rm -f "slot.$1"
	"$KEEL" install "$1.kb" -o "slot.$1" --from "$2.img" -v -q \
		>"$1.out" 2>&1 || { fail "install $1: $(cat "$1.out")"; return; }
	read=$(sed -n 's/.*: \([0-9]*\) bundle bytes read.*/\1/p' "$1.out")
	decoded=$(sed -n 's/.* \([0-9]*\) decoded.*/\1/p' "$1.out")
	size=$(stat -c %s "$1.kb")
	same "$1: the slot is the image" "$(cmp "slot.$1" "$1.img" 2>&1 &&
		echo same)" same
}

t0=$(date +%s)
mk v1 1
echo "# one line more" >>root/etc/nginx/nginx.conf
mk v2 2
delta v2 v1
pct=$((read * 10000 / size))
echo "delta: one-file change (erofs): $read of $size bundle bytes" \
	"($((pct / 100)).$((pct % 100))%), $decoded blocks decoded"
if [ "$pct" -lt 500 ]; then pass "one-file change under 5% ($pct/10000)"
else fail "one-file change: $read of $size bytes"; fi

mk v3 3 # the same tree again: a fresh salt, a new version
delta v3 v2
same "unchanged tree: no data block read" "$decoded" 0
echo "delta: unchanged tree: $read of $size bundle bytes (tree and index)"
tree=$(( $("$KEEL" image inspect v3.img | sed -n 's/^hash_blocks=//p') * 4096))
if [ "$read" -lt $((tree + 16384 + size / 16384 * 4 + 64)) ]; then
	pass "unchanged tree: only metadata, tree and index read"
else fail "unchanged tree: $read bytes read (tree $tree)"; fi

# squashfs packs its blocks: the same one-line change, for the record
mk q1 1 squashfs
echo "# and another" >>root/etc/nginx/nginx.conf
mk q2 2 squashfs
delta q2 q1
echo "delta: one-file change (squashfs): $read of $size bundle bytes," \
	"$decoded blocks decoded"
echo "delta: $(($(date +%s) - t0)) s"
finish
