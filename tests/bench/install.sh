#!/bin/sh
# SPDX-License-Identifier: MIT
# Times keel install of a ~256 MiB bundle into a loop device against
# `lz4 -dc | dd` writing the same filesystem to the same device.
#
# Usage: O=build-dir sh tests/bench/install.sh [MIB]
# Needs root (loop devices), $O/keel, lz4, hyperfine, mksquashfs. The loop
# device's backing file lives in /dev/shm (BACKING=disk: in $TMPDIR), so
# the figures compare the software, not this machine's disk. keel checks
# every block against the signed tree, fsyncs and reads the slot back;
# the pipeline only decompresses and writes (also shown with conv=fsync).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$TOP/build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
MIB=${1:-256}
RUNS=${RUNS:-7}
KEEL=$O/keel
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-install.XXXXXX")
BACK=/dev/shm
[ "${BACKING:-shm}" = disk ] && BACK=$WORK
dev=
cleanup() {
	[ -n "$dev" ] && losetup -d "$dev"
	rm -rf "$WORK" "$BACK/keel-bench-slot.$$"
}
trap cleanup EXIT
die() { echo "bench install: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (loop devices)"
[ -x "$KEEL" ] || die "$KEEL missing (make O=$O all)"
for t in lz4 hyperfine mksquashfs losetup; do
	command -v $t >/dev/null || die "$t missing (scripts/deps.sh)"
done

# An image of mostly incompressible data (as a compressed filesystem
# is) with some text: squashfs, as erofs takes minutes to compress it.
mkdir -p "$WORK/root"
head -c $(((MIB - 16) * 1048576)) /dev/urandom >"$WORK/root/blob"
seq 1 2000000 >"$WORK/root/text"
"$KEEL" image build "$WORK/root" -o "$WORK/img" --fs squashfs --version 2 \
	>/dev/null || die "image build failed"
"$KEEL" image sign "$WORK/img" --key "$TOP/keys/test/release/test-release-a.key" \
	>/dev/null || die "sign failed"
"$KEEL" bundle create "$WORK/img" -o "$WORK/b.kb" || die "bundle failed"
val() { "$KEEL" image inspect "$WORK/img" | sed -n "s/^$1=//p"; }
isize=$(val image_size)
tail -c +$((4096 * (1 + $(val hash_blocks)) + 1)) "$WORK/b.kb" >"$WORK/data.lz4"
lz4 -t "$WORK/data.lz4" 2>/dev/null || die "the frame does not decode"

slot=$BACK/keel-bench-slot.$$
head -c $((isize + 1048576)) /dev/zero >"$slot"
dev=$(losetup -f --show "$slot") || die "losetup failed"
"$KEEL" install "$WORK/b.kb" -o "$dev" -q || die "install failed"
"$KEEL" image verify "$dev" >/dev/null || die "installed slot does not verify"

echo "bundle $(($(stat -c %s "$WORK/b.kb") / 1048576)) MiB (image $((isize / 1048576)) MiB) into $dev, backing $BACK; load: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 1 -r "$RUNS" --export-json "$WORK/h.json" \
	-n "keel install" "$KEEL install $WORK/b.kb -o $dev -q" \
	-n "lz4 -dc | dd" "sh -c 'lz4 -dc $WORK/data.lz4 | dd of=$dev bs=1M status=none'" \
	-n "lz4 -dc | dd conv=fsync" "sh -c 'lz4 -dc $WORK/data.lz4 | dd of=$dev bs=1M conv=fsync status=none'" \
	>"$WORK/h.txt" 2>&1 || { cat "$WORK/h.txt"; die "hyperfine failed"; }
grep -E '^(Benchmark|  Time|  Range)' "$WORK/h.txt"

# Throughput of the image written, and keel's speed relative to each.
python3 - "$WORK/h.json" "$isize" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2]) / 1e6
med = {x["command"]: x["median"] for x in r}
k = med["keel install"]
print("medians:")
for name, t in med.items():
    print("  %-24s %6.3f s  %6.0f MB/s" % (name, t, size / t))
for name in ("lz4 -dc | dd", "lz4 -dc | dd conv=fsync"):
    print("keel / %-22s %.2fx the pipeline's speed" % (name, med[name] / k))
EOF
