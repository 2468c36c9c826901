#!/bin/sh
# SPDX-License-Identifier: MIT
# Times keel's full hash-tree check of 256 MiB against veritysetup, sha256sum.
#
# Usage: O=build-dir sh tests/bench/verity.sh [MIB]
# Needs $O/libkeel.a (make O=... all). keel's side is the verity_check of
# libkeel.a as the static binaries link it, driven by test_verity's "check"
# mode, built here with musl-gcc and no sanitizers. Best of 3 runs, warm
# page cache for everyone.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$TOP/build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
MIB=${1:-256}
RUNS=${RUNS:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-verity.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

for f in "$O/libkeel.a" "$O/deps/lib/libbearssl.a"; do
	[ -f "$f" ] || { echo "bench verity: $f missing (make O=$O all)"; exit 1; }
done
command -v veritysetup >/dev/null ||
	{ echo "bench verity: veritysetup missing (cryptsetup-bin)"; exit 1; }

BIN=$WORK/verity-bench
(cd "$TOP" && musl-gcc -std=gnu11 -O2 -static -isystem "$O/include" \
	-Icompat -I. -o "$BIN" tests/unit/test_verity.c "$O/libkeel.a" \
	"$O/deps/lib/libbearssl.a") || exit 1

blocks=$((MIB * 256))
off=$((blocks * 4096))
salt=$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
img=$WORK/img
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$WORK/data"
cp "$WORK/data" "$img"
root=$(veritysetup format --no-superblock --hash=sha256 --data-blocks=$blocks \
	--hash-offset=$off --salt="$salt" "$img" "$img" |
	awk '/^Root hash:/ { print $3 }')
cat "$img" "$WORK/data" >/dev/null

now() { date +%s.%N; }
# best NAME CMD...: best wall time of $RUNS runs, in seconds
best() {
	name=$1; shift
	b=
	i=0
	while [ $i -lt $RUNS ]; do
		t0=$(now)
		"$@" >/dev/null 2>"$WORK/err" ||
			{ echo "bench verity: $name failed:"; cat "$WORK/err"; exit 1; }
		t1=$(now)
		b=$(echo "$t0 $t1 ${b:-1e9}" | awk '{ d = $2 - $1;
			print (d < $3) ? d : $3 }')
		i=$((i + 1))
	done
	echo "$b"
}

k=$(best keel "$BIN" check "$img" $blocks $off "$salt" "$root")
"$BIN" check "$img" $blocks $off "$salt" "$root" 2>&1 | sed 's/^/  keel: /'
v=$(best veritysetup veritysetup verify --no-superblock --hash=sha256 \
	--data-blocks=$blocks --hash-offset=$off --salt="$salt" \
	"$img" "$img" "$root")
s=$(best sha256sum sha256sum "$WORK/data")

echo "$k $v $s $MIB $blocks" | awk '{
	printf "verity check of %d MiB (%d blocks), best of '$RUNS':\n", $4, $5
	printf "  keel verity_check   %6.3f s  %7.0f MB/s  %8.0f blocks/s\n",
		$1, $4 * 1.048576 / $1, $5 / $1
	printf "  veritysetup verify  %6.3f s  %7.0f MB/s  (keel %.2fx faster)\n",
		$2, $4 * 1.048576 / $2, $2 / $1
	printf "  sha256sum (data)    %6.3f s  %7.0f MB/s  (keel %.2fx faster)\n",
		$3, $4 * 1.048576 / $3, $3 / $1
}'
