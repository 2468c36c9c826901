#!/bin/sh
# SPDX-License-Identifier: MIT
# keel's hash trees against the real veritysetup: same bytes, same root.
. "$(dirname "$0")/../lib.sh"

TV=$O/host/tests/test_verity
if ! command -v veritysetup >/dev/null 2>&1; then
	skip "veritysetup not installed (package cryptsetup-bin)"
	finish
	exit
fi
if [ ! -x "$TV" ]; then
	skip "$TV missing: run 'make O=$O unit-tests' first"
	finish
	exit
fi

hexsalt() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }

# flip FILE OFFSET: inverts one byte in place
flip() {
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

vs_format() { # FILE BLOCKS OFFSET SALT -> root
	veritysetup format --no-superblock --format=1 --hash=sha256 \
		--data-block-size=4096 --hash-block-size=4096 \
		--data-blocks="$2" --hash-offset="$3" --salt="$4" "$1" "$1" |
		awk '/^Root hash:/ { print $3 }'
}

vs_verify() { # FILE BLOCKS OFFSET SALT ROOT
	veritysetup verify --no-superblock --format=1 --hash=sha256 \
		--data-block-size=4096 --hash-block-size=4096 \
		--data-blocks="$2" --hash-offset="$3" --salt="$4" "$1" "$1" "$5"
}

# one BLOCKS GAP_BLOCKS SALT: build with keel and with veritysetup, compare.
# (lib.sh's check and refuse use $n: the locals here are named otherwise.)
one() {
	nb=$1 off=$((($1 + $2) * 4096)) salt=$3 tag="$1 blocks, salt ${#3}"
	head -c $((nb * 4096)) /dev/urandom >"$WORK/data"
	cp "$WORK/data" "$WORK/keel"
	cp "$WORK/data" "$WORK/vs"
	kroot=$("$TV" build "$WORK/keel" "$nb" "$off" "$salt" 2>"$WORK/err") ||
		{ fail "$tag: keel build"; cat "$WORK/err"; return; }
	vroot=$(vs_format "$WORK/vs" "$nb" "$off" "$salt")
	same "$tag: root" "$kroot" "$vroot"
	check "$tag: tree bytes" cmp "$WORK/keel" "$WORK/vs"
	check "$tag: veritysetup verifies keel's tree" \
		vs_verify "$WORK/keel" "$nb" "$off" "$salt" "$kroot"
	check "$tag: keel verifies veritysetup's tree" \
		"$TV" check "$WORK/vs" "$nb" "$off" "$salt" "$vroot"

	# one flipped byte in the data, then one in the tree's last block
	size=$(stat -c %s "$WORK/keel")
	for at in $(((nb * 4096) / 3)) $((size - 4096 + 17)); do
		cp "$WORK/keel" "$WORK/bad"
		flip "$WORK/bad" "$at"
		refuse "$tag: veritysetup refuses flip at $at" "ailed" \
			vs_verify "$WORK/bad" "$nb" "$off" "$salt" "$kroot"
		refuse "$tag: keel refuses flip at $at" "differs" \
			"$TV" check "$WORK/bad" "$nb" "$off" "$salt" "$kroot"
	done
}

for blocks in 1 2 127 128 129 300 16384 16385; do
	one "$blocks" 0 "$(hexsalt 32)"
done
one 1 0 -
one 2 0 -
one 129 0 -
one 129 0 "$(hexsalt 64)"
one 300 3 "$(hexsalt 64)"
one 300 1 "$(hexsalt 1)"
one 1000 0 "$(hexsalt 7)"

# A wrong root is refused by both.
head -c $((5 * 4096)) /dev/urandom >"$WORK/data"
root=$("$TV" build "$WORK/data" 5 20480 ab 2>/dev/null)
case $root in
0*) bad=1${root#?} ;;
*) bad=0${root#?} ;;
esac
refuse "wrong root: veritysetup" "ailed" vs_verify "$WORK/data" 5 20480 ab "$bad"
refuse "wrong root: keel" "root hash differs" \
	"$TV" check "$WORK/data" 5 20480 ab "$bad"
finish
