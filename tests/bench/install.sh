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
# The commands run in interleaved rounds (RUNS of them, after one of
# warm-up). make bench (tests/bench/run.sh) sets BENCH_OUT=DIR to keep
# the timings (install.json, shaped as hyperfine's export) and the image
# size in bytes (install.size) there. BENCH_KEEL_BEFORE=PATH adds a keel
# built from an earlier tree to the same rounds ("keel install (before)").
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$TOP/build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
MIB=${1:-256}
RUNS=${RUNS:-7}
KEEL=$O/keel
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-install.XXXXXX")
OUT=${BENCH_OUT:-$WORK}
BACK=/dev/shm
[ "${BACKING:-shm}" = disk ] && BACK=$WORK
dev= rdevs= rpids=
cleanup() {
	[ -n "$rpids" ] && kill $rpids 2>/dev/null
	[ -n "$dev" ] && losetup -d "$dev"
	for d in $rdevs; do losetup -d "$d"; done
	rm -rf "$WORK" "$BACK"/keel-bench-*.$$
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
"$KEEL" image build "$WORK/root" -o "$WORK/img" --board test-board --fs squashfs --version 2 \
	>/dev/null || die "image build failed"
"$KEEL" image sign "$WORK/img" --key "$TOP/keys/test/release/test-release-a.key" \
	>/dev/null || die "sign failed"
"$KEEL" bundle create "$WORK/img" -o "$WORK/b.kb" || die "bundle failed"
val() { "$KEEL" image inspect "$WORK/img" | sed -n "s/^$1=//p"; }
isize=$(val image_size)
# The lz4 frame alone (format 2: from the offset its header block gives).
frame=$("$KEEL" bundle inspect "$WORK/b.kb" | sed -n 's/^index_offset=//p')
frame=$((frame + 4 * $("$KEEL" bundle inspect "$WORK/b.kb" |
	sed -n 's/^lz4_blocks=//p')))
tail -c +$((frame + 1)) "$WORK/b.kb" >"$WORK/data.lz4"
lz4 -t "$WORK/data.lz4" 2>/dev/null || die "the frame does not decode"

slot=$BACK/keel-bench-slot.$$
head -c $((isize + 1048576)) /dev/zero >"$slot"
dev=$(losetup -f --show "$slot") || die "losetup failed"
"$KEEL" install "$WORK/b.kb" -o "$dev" -q || die "install failed"
"$KEEL" image verify "$dev" >/dev/null || die "installed slot does not verify"

# RAUC (if installed; RAUC=0 skips it): the same slot image as a raw
# image in a signed RAUC bundle, installed by `rauc service` on a private
# system bus into a loop device of the same kind. Plain bundle format: the
# verity format needs /dev/mapper/control, which containers often lack.
rauc_cmd=
rauc_conf() { # A-device B-device
	printf '[system]\ncompatible=keel-bench\nbootloader=noop\n'
	printf 'data-directory=%s\n\n[keyring]\npath=%s\n' "$r/data" "$r/cert.pem"
	printf 'check-purpose=any\n\n'
	printf '[slot.rootfs.0]\ndevice=%s\ntype=raw\nbootname=A\n\n' "$1"
	printf '[slot.rootfs.1]\ndevice=%s\ntype=raw\nbootname=B\n' "$2"
}
rauc_bus() {
	echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"'
	echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
	echo "<busconfig><type>system</type><listen>unix:path=$r/bus</listen>"
	echo '<auth>EXTERNAL</auth><policy context="default"><allow user="*"/>'
	echo '<allow own="*"/><allow send_destination="*"/>'
	echo '<allow receive_sender="*"/></policy></busconfig>'
}
rauc_setup() {
	command -v rauc >/dev/null && command -v dbus-daemon >/dev/null || return 1
	r=$WORK/rauc
	mkdir -p "$r/content" "$r/data"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$r/key.pem" \
		-out "$r/cert.pem" -days 30 -subj /CN=keel-bench \
		-addext keyUsage=digitalSignature 2>/dev/null || return 1
	ln "$WORK/img" "$r/content/rootfs.img"
	printf '[update]\ncompatible=keel-bench\nversion=2\n\n[bundle]\nformat=plain\n\n[image.rootfs]\nfilename=rootfs.img\n' \
		>"$r/content/manifest.raucm"
	rauc bundle --cert="$r/cert.pem" --key="$r/key.pem" \
		--mksquashfs-args="-comp lz4" "$r/content" "$r/b.raucb" \
		>"$r/bundle.log" 2>&1 || return 1
	head -c 1048576 /dev/zero >"$BACK/keel-bench-ra.$$"
	head -c $((isize + 1048576)) /dev/zero >"$BACK/keel-bench-rb.$$"
	ra=$(losetup -f --show "$BACK/keel-bench-ra.$$") || return 1
	rdevs=$ra
	rb=$(losetup -f --show "$BACK/keel-bench-rb.$$") || return 1
	rdevs="$ra $rb"
	rauc_conf "$ra" "$rb" >"$r/system.conf"
	rauc_bus >"$r/bus.conf"
	dbus-daemon --config-file="$r/bus.conf" --fork --print-pid >"$r/bus.pid" ||
		return 1
	rpids=$(cat "$r/bus.pid")
	export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$r/bus
	sleep 0.5
	rauc service -c "$r/system.conf" --override-boot-slot=A \
		>"$r/service.log" 2>&1 &
	rpids="$rpids $!"
	sleep 2
	rauc install "$r/b.raucb" >"$r/install.log" 2>&1 || return 1
	cmp -s -n "$isize" "$WORK/img" "$rb" || return 1
	rauc_cmd="rauc install $r/b.raucb"
}
if [ "${RAUC:-1}" != 0 ] && rauc_setup; then
	echo "rauc: $(rauc --version), bundle $(($(stat -c %s "$r/b.raucb") / 1048576)) MiB into $rb"
elif [ "${RAUC:-1}" != 0 ]; then
	echo "rauc: not measured (not installed, or its setup failed)"
fi

echo "bundle $(($(stat -c %s "$WORK/b.kb") / 1048576)) MiB (image $((isize / 1048576)) MiB) into $dev, backing $BACK; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# One run of each command per round, the order turned by one each round,
# after one round of warm-up: a change of the machine's load (it is
# shared) falls on every command alike, where hyperfine alone would run
# each command's runs back to back. The rounds' timings are merged into
# one hyperfine-shaped install.json for run.sh.
{
	printf '%s\n' "keel install" "$KEEL install $WORK/b.kb -o $dev -q"
	[ -x "${BENCH_KEEL_BEFORE:-}" ] && printf '%s\n' "keel install (before)" \
		"$BENCH_KEEL_BEFORE install $WORK/b.kb -o $dev -q"
	printf '%s\n' "lz4 -dc | dd" "sh -c 'lz4 -dc $WORK/data.lz4 | dd of=$dev bs=1M status=none'"
	printf '%s\n' "lz4 -dc | dd conv=fsync" "sh -c 'lz4 -dc $WORK/data.lz4 | dd of=$dev bs=1M conv=fsync status=none'"
	[ -n "$rauc_cmd" ] && printf '%s\n' "rauc install" "$rauc_cmd"
} >"$WORK/cmds"
python3 - "$WORK/cmds" "$RUNS" "$WORK" "$OUT/install.json" <<'EOF' ||
import json, statistics, subprocess, sys
lines = open(sys.argv[1]).read().splitlines()
cmds = list(zip(lines[0::2], lines[1::2]))
rounds, work, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = {n: [] for n, _ in cmds}
for i in range(rounds + 1):
    k = i % len(cmds)
    args = ["hyperfine", "-N", "-r", "1", "--export-json", work + "/r.json"]
    for n, c in cmds[k:] + cmds[:k]:
        args += ["-n", n, c]
    if subprocess.run(args, stdout=subprocess.DEVNULL).returncode:
        sys.exit("hyperfine failed in round %d" % i)
    if i == 0:
        continue  # warm-up
    for r in json.load(open(work + "/r.json"))["results"]:
        runs[r["command"]].append(r)
res = []
for n, _ in cmds:
    t = [r["times"][0] for r in runs[n]]
    x = {"command": n, "mean": statistics.mean(t),
         "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
         "median": statistics.median(t), "min": min(t), "max": max(t),
         "user": statistics.mean(r["user"] for r in runs[n]),
         "system": statistics.mean(r["system"] for r in runs[n]),
         "times": t}
    res.append(x)
    print("Benchmark: %s" % n)
    print("  Time (mean ± σ): %.3f s ± %.3f s  [User: %.3f s, System: %.3f s]"
          % (x["mean"], x["stddev"], x["user"], x["system"]))
    print("  Range (min … max): %.3f s … %.3f s  %d runs"
          % (x["min"], x["max"], len(t)))
json.dump({"results": res}, open(out, "w"), indent=1)
EOF
	die "timing failed"

# Throughput of the image written, and keel's speed relative to each.
echo "$isize" >"$OUT/install.size"
python3 - "$OUT/install.json" "$isize" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2]) / 1e6
med = {x["command"]: x["median"] for x in r}
k = med["keel install"]
print("medians:")
for name, t in med.items():
    print("  %-24s %6.3f s  %6.0f MB/s" % (name, t, size / t))
for name in ("keel install (before)", "lz4 -dc | dd",
             "lz4 -dc | dd conv=fsync", "rauc install"):
    if name in med:
        print("keel against %-23s %.2fx its speed" % (name, med[name] / k))
EOF
