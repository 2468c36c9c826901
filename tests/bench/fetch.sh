#!/bin/sh
# SPDX-License-Identifier: MIT
# Updates over the network, from Debian's nginx on 127.0.0.1 with a test
# CA: install throughput of `keel install https://...` against `curl |
# keel install -` and `curl | lz4 -dc | dd` of the same bundle's frame,
# keel's peak RSS while it downloads, and the bundle bytes a delta
# install fetches (nginx's own count) against the whole bundle.
#
# Usage: O=build-dir sh tests/bench/fetch.sh [MIB]
# Needs $O/keel, nginx, curl, openssl, lz4, /usr/bin/time. The slots are
# files in /dev/shm, so the figures compare the software. The delta
# figures use $O/cache/debian.tar (made by tests/host/delta.sh) when it
# exists, else a small tree. Runs RUNS rounds (default 5), interleaved;
# prints medians. make bench sets BENCH_OUT=DIR to keep fetch.txt there
# and the figures as key=value lines in fetch.vals.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$TOP/build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
MIB=${1:-128}
RUNS=${RUNS:-5}
KEEL=$O/keel
KEY=$TOP/keys/test/release/test-release-a.key
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-fetch.XXXXXX")
SHM=$(mktemp -d /dev/shm/keel-bench-fetch.XXXXXX)
OUT=${BENCH_OUT:-$WORK}
. "$TOP/tests/fleet_lib.sh"
trap 'nginx_stop; rm -rf "$WORK" "$SHM"' EXIT
die() { echo "bench fetch: $*"; exit 1; }

[ -x "$KEEL" ] || die "$KEEL missing (make O=$O all)"
for t in nginx curl openssl lz4; do
	command -v $t >/dev/null || die "$t missing (scripts/deps.sh)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time missing (Debian's time)"

# --- images: mostly incompressible data (as a compressed filesystem is) ---
mkdir -p "$WORK/www" "$WORK/root"
head -c $(((MIB - 8) * 1048576)) /dev/urandom >"$WORK/root/blob"
seq 1 1000000 >"$WORK/root/text"
"$KEEL" image build "$WORK/root" -o "$WORK/img" --fs squashfs --version 2 --board bench \
	>/dev/null && "$KEEL" image sign "$WORK/img" --key "$KEY" >/dev/null &&
	"$KEEL" bundle create "$WORK/img" -o "$WORK/www/b.kb" ||
	die "image or bundle failed"
size=$(stat -c %s "$WORK/www/b.kb")
ins() { "$KEEL" bundle inspect "$WORK/www/b.kb" | sed -n "s/^$1=//p"; }
frame=$(($(ins index_offset) + 4 * $(ins lz4_blocks)))
nginx_start "$WORK/ng" "$WORK/www" || die "nginx did not start"
CA=$WORK/ng/pki/ca.pem
U=https://127.0.0.1:$HTTPS_PORT/b.kb
"$KEEL" install "$U" -o "$SHM/slot" --ca "$CA" -q || die "keel install failed"
"$KEEL" image verify "$SHM/slot" >/dev/null || die "the slot does not verify"

# --- throughput: interleaved rounds, wall seconds each --------------------
run_keel() { "$KEEL" install "$U" -o "$SHM/slot" --ca "$CA" -q; }
run_pipe() {
	curl -sf --cacert "$CA" "$U" | "$KEEL" install - -o "$SHM/slot" -q
}
run_dd() {
	curl -sf --cacert "$CA" "$U" | tail -c +$((frame + 1)) | lz4 -dc |
		dd of="$SHM/slot" bs=1M conv=notrunc status=none
}
now() { date +%s.%N; }
for i in $(seq "$RUNS"); do
	for c in keel pipe dd; do
		t0=$(now)
		run_$c || die "$c failed"
		echo "$c $(awk "BEGIN { print $(now) - $t0 }")" >>"$WORK/times"
	done
done
med() { # median seconds of command $1
	awk -v c="$1" '$1 == c { print $2 }' "$WORK/times" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
tk=$(med keel) tp=$(med pipe) td=$(med dd)
mbs() { awk "BEGIN { printf \"%.0f\", $size / 1e6 / $1 }"; }
rss=$(/usr/bin/time -f %M "$KEEL" install "$U" -o "$SHM/slot" --ca "$CA" \
	-q 2>&1 >/dev/null | tail -n 1)
{
	echo "bundle: $size bytes ($MIB MiB image, squashfs), $RUNS rounds," \
		"medians, MB/s of bundle bytes"
	echo "keel install https://...: ${tk}s, $(mbs "$tk") MB/s"
	echo "curl | keel install -: ${tp}s, $(mbs "$tp") MB/s"
	echo "curl | lz4 -dc | dd: ${td}s, $(mbs "$td") MB/s"
	echo "ratio keel-https / lz4|dd: $(awk "BEGIN { printf \"%.2f\", $td / $tk }")x" \
		"(target >= 0.8)"
	echo "ratio keel-https / curl|keel: $(awk "BEGIN { printf \"%.2f\", $tp / $tk }")x"
	echo "keel install peak RSS while downloading: $rss KiB"
} | tee "$OUT/fetch.txt"
printf 'keel=%s\npipe=%s\ndd=%s\nrss_kib=%s\n' "$(mbs "$tk")" "$(mbs "$tp")" \
	"$(mbs "$td")" "$rss" >"$OUT/fetch.vals"

# --- delta: bytes nginx sent for a one-file change -------------------------
sent() { # bundle bytes nginx sent for URI $1 since the log was cleared
	awk -v u="$1" '$NF == u { s += $2 } END { print s + 0 }' \
		"$WORK/ng/access.log"
}
delta() { # NAME FROM: installs www/NAME.kb from FROM.img over https
	rm -f "$SHM/d.slot"
	: >"$WORK/ng/access.log"
	"$KEEL" install "https://127.0.0.1:$HTTPS_PORT/$1.kb" -o "$SHM/d.slot" \
		--ca "$CA" --from "$WORK/$2.img" -q || die "delta $1 failed"
	cmp -s "$SHM/d.slot" "$WORK/$1.img" || die "delta $1: not the image"
}
mk() { # NAME VERSION: image and bundle of $WORK/d
	"$KEEL" image build "$WORK/d" -o "$WORK/$1.img" --version "$2" \
		--board bench >/dev/null &&
		"$KEEL" image sign "$WORK/$1.img" --key "$KEY" >/dev/null &&
		"$KEEL" bundle create "$WORK/$1.img" -o "$WORK/www/$1.kb" ||
		die "image $1 failed"
}
mkdir -p "$WORK/d"
if [ -s "$O/cache/debian.tar" ]; then
	tar -C "$WORK/d" -xf "$O/cache/debian.tar" || die "unpacking debian.tar"
	what="Debian bookworm + nginx-light (mmdebstrap), erofs"
	file=etc/nginx/nginx.conf
else
	mkdir -p "$WORK/d/etc" "$WORK/d/usr"
	head -c 30000000 /dev/urandom >"$WORK/d/usr/blob"
	seq 1 300000 >"$WORK/d/etc/text"
	what="a 30 MB tree (no $O/cache/debian.tar), erofs"
	file=etc/text
fi
export SOURCE_DATE_EPOCH=1700000000
mk d1 1
echo "# one line more" >>"$WORK/d/$file"
mk d2 2
mk d3 3 # the same tree again: a fresh salt
delta d2 d1
full=$(stat -c %s "$WORK/www/d2.kb") got=$(sent /d2.kb)
delta d3 d2
same=$(sent /d3.kb)
{
	echo "delta image: $what"
	echo "one-file change ($file): $got of $full bundle bytes" \
		"($(awk "BEGIN { printf \"%.2f\", 100 * $got / $full }")%," \
		"target < 5%)"
	echo "unchanged tree, new salt: $same of $(stat -c %s \
		"$WORK/www/d3.kb") bundle bytes (tree and index only)"
} | tee -a "$OUT/fetch.txt"
printf 'delta_got=%s\ndelta_full=%s\n' "$got" "$full" >>"$OUT/fetch.vals"
