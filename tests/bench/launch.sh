#!/bin/sh
# SPDX-License-Identifier: MIT
# Start-to-exit of a static `true` in new mount, pid, uts, ipc and net
# namespaces: keel's launch path against bwrap, crun and unshare(1), side
# by side in one run of interleaved rounds (tests/bench/rr.c: a load that
# comes and goes falls on every tool alike); the verified launch (`keel
# run IMAGE` of a busybox-sized image against bwrap on its unpacked tree,
# with no check); then `keel run` end to end on a 64 MiB image.
#
# What each peer gives (all: new mnt, pid, uts, ipc, net namespaces):
#   keel    + cgroup ns; pivot_root into the read-only root (old root
#           detached); proc with masked and read-only paths, sysfs ro,
#           /dev (tmpfs, six nodes, devpts, shm, console), /run, /tmp,
#           /etc (overlay on a tmpfs), /var/lib; lo up; a reaper as pid
#           1; every capability dropped (bounding set too),
#           no_new_privs, the default seccomp filter, a new session,
#           every other descriptor closed
#   bwrap   + cgroup ns; pivot_root into the read-only bind; proc (no
#           masked path), /dev (tmpfs, host nodes bound), /run, /tmp; lo
#           up; a reaper as pid 1; capabilities dropped, no_new_privs;
#           no seccomp filter
#   crun    the bundle's config below: + cgroup ns, its mounts, masked
#           and read-only paths, no capabilities, no_new_privs; no
#           seccomp filter, no cgroup (--cgroup-manager=disabled)
#   unshare the namespaces and a new /proc; no root change, no
#           capability drop, no filter
#   floor   tests/bench/floor.c: the namespaces (+ cgroup) and exec,
#           nothing else: what the kernel charges any launcher
#
# Usage (root): O=build-dir sh tests/bench/launch.sh [RUNS [VRUNS]]
# keel's side uses `keel run --unverified-root-dir`, the developer option
# that skips verification, so that every tool starts from the same
# already-verified root directory. crun refuses a v1-hybrid host: all
# commands run in one private mount namespace with cgroup2 mounted over
# /sys/fs/cgroup, and crun gets --cgroup-manager=disabled.
# make bench (tests/bench/run.sh) sets BENCH_OUT=DIR to keep hyperfine's
# CSV files there, and BENCH_FS to build the 64 MiB image faster.
# BENCH_KEEL_BEFORE=PATH adds an older keel to the same interleaved
# rounds (a change's before and after, under the same load).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$TOP/build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
RUNS=${1:-300}
VRUNS=${2:-$((RUNS / 3 + 10))}
KEEL=$O/keel
PROBE=$O/probe

[ "$(id -u)" = 0 ] || { echo "bench launch: needs root"; exit 1; }
for t in hyperfine bwrap crun unshare; do
	command -v $t >/dev/null ||
		{ echo "bench launch: $t missing (scripts/deps.sh)"; exit 1; }
done
for f in "$KEEL" "$PROBE"; do
	[ -x "$f" ] || { echo "bench launch: $f missing (make O=$O all $f)"; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-launch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RR=$WORK/rr
FLOOR=$WORK/floor
for h in rr floor; do
	musl-gcc -static -O2 -Wall -Wextra -Werror -o "$WORK/$h" \
		"$TOP/tests/bench/$h.c" ||
		{ echo "bench launch: tests/bench/$h.c does not build"; exit 1; }
done
ROOT=$WORK/bundle/rootfs
mkdir -p "$ROOT/bin" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/run" \
	"$ROOT/tmp" "$ROOT/etc" "$ROOT/var/lib"
cp "$PROBE" "$ROOT/bin/true" # the probe is `true` under that name

cat >"$WORK/bundle/config.json" <<'JSON'
{
 "ociVersion": "1.0.2",
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0},
  "args": ["/bin/true"], "env": ["PATH=/bin"], "cwd": "/",
  "capabilities": {"bounding": [], "effective": [], "permitted": []},
  "noNewPrivileges": true},
 "root": {"path": "rootfs", "readonly": true},
 "hostname": "bench",
 "mounts": [
  {"destination": "/proc", "type": "proc", "source": "proc"},
  {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
   "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
  {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
   "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
  {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
   "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
  {"destination": "/sys", "type": "sysfs", "source": "sysfs",
   "options": ["nosuid", "noexec", "nodev", "ro"]},
  {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
   "options": ["nosuid", "nodev", "mode=755"]},
  {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
   "options": ["nosuid", "nodev", "mode=1777"]}
 ],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "network"},
  {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
  "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
  "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]}
}
JSON

OUT=${BENCH_OUT:-$WORK}
CSV=$OUT/launch.csv
KRUN="$KEEL run --unverified-root-dir $ROOT -- /bin/true"
BWRAP="bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-net \
--unshare-cgroup --ro-bind $ROOT / --proc /proc --dev /dev --tmpfs /run \
--tmpfs /tmp /bin/true"
CRUN="crun --cgroup-manager=disabled run --bundle $WORK/bundle keel-bench"
UNSH="unshare -fmpiun --mount-proc true"
FLR="$FLOOR $ROOT/bin/true"
set --
[ -x "${BENCH_KEEL_BEFORE:-}" ] && set -- "keel (before)" \
	"$BENCH_KEEL_BEFORE run --unverified-root-dir $ROOT -- /bin/true"

unshare -m sh -c '
	mount --make-rprivate / &&
	mount -t cgroup2 none /sys/fs/cgroup &&
	exec "$@"' sh "$RR" "$RUNS" 20 "$CSV" \
	keel "$KRUN" bwrap "$BWRAP" crun "$CRUN" unshare "$UNSH" \
	floor "$FLR" "$@" || exit 1

# ratios of means (the target) and of medians (robust on a busy machine);
# CPU: user + system of the command and its children, per run
awk -F, 'NR > 1 { mean[$1] = $2 * 1000; med[$1] = $4 * 1000
	cpu[$1] = ($5 + $6) * 1000 }
END {
	printf "\nmeans (ms):   keel %.2f  unshare %.2f  bwrap %.2f  crun %.2f" \
		"  floor %.2f\n", mean["keel"], mean["unshare"], mean["bwrap"],
		mean["crun"], mean["floor"]
	printf "medians (ms): keel %.2f  unshare %.2f  bwrap %.2f  crun %.2f" \
		"  floor %.2f\n", med["keel"], med["unshare"], med["bwrap"],
		med["crun"], med["floor"]
	printf "CPU (ms):     keel %.2f  unshare %.2f  bwrap %.2f  crun %.2f" \
		"  floor %.2f\n", cpu["keel"], cpu["unshare"], cpu["bwrap"],
		cpu["crun"], cpu["floor"]
	printf "keel / unshare = %.2f (medians %.2f)   target <= 1\n",
		mean["keel"] / mean["unshare"], med["keel"] / med["unshare"]
	printf "bwrap / keel   = %.2f (medians %.2f, CPU %.2f)   target >= 2.5\n",
		mean["bwrap"] / mean["keel"], med["bwrap"] / med["keel"],
		cpu["bwrap"] / cpu["keel"]
	printf "crun / keel    = %.2f (medians %.2f, CPU %.2f)   target >= 6\n",
		mean["crun"] / mean["keel"], med["crun"] / med["keel"],
		cpu["crun"] / cpu["keel"]
	printf "keel / floor   = %.2f (medians %.2f, CPU %.2f)   the kernel" \
		" alone (floor.c)\n", mean["keel"] / mean["floor"],
		med["keel"] / med["floor"], cpu["keel"] / cpu["floor"]
	# crun over the floor (the kernel alone): where 6x crun puts keel
	printf "crun / floor   = %.2f (medians %.2f): crun / keel >= 6 asks" \
		" keel for %.2f ms, %.2fx the floor\n",
		mean["crun"] / mean["floor"], med["crun"] / med["floor"],
		mean["crun"] / 6, mean["crun"] / 6 / mean["floor"]
	b = "keel (before)"
	if (b in mean)
		printf "before: keel %.2f ms (median %.2f); keel / before = %.2f" \
			" (medians %.2f); bwrap / before = %.2f, crun / before" \
			" = %.2f, unshare / before = %.2f, before / floor = %.2f\n",
			mean[b], med[b], mean["keel"] / mean[b], med["keel"] / med[b],
			mean["bwrap"] / mean[b], mean["crun"] / mean[b],
			mean["unshare"] / mean[b], mean[b] / mean["floor"]
	printf "(load average: %s)\n", load
}' load="$(cut -d' ' -f1-3 /proc/loadavg)" "$CSV"

# --- a launch with a cgroup: the config's device program -----------------
# CAP_MKNOD in the config: keel run makes the container's cgroup (on the
# host's cgroup2, /sys/fs/cgroup or a hybrid host's unified mount) for
# the device program. Each run after an idle pause (RR_GAP_MS), as a
# device starts its app: a cgroup.procs write then waits for a whole RCU
# grace period on Linux 6.x, which keel's clone3 into the cgroup does not
# (docs/CONTAINER.md).
CGROOT=$WORK/cg-root
mkdir -p "$CGROOT"
cp -a "$ROOT/." "$CGROOT/"
mkdir -p "$CGROOT/keel"
cat >"$CGROOT/keel/config.json" <<'JSON'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/true"], "cwd": "/", "env": ["PATH=/bin"],
  "capabilities": {"bounding": ["CAP_MKNOD"], "effective": ["CAP_MKNOD"],
   "permitted": ["CAP_MKNOD"]}},
 "root": {"path": "rootfs", "readonly": true}}
JSON
echo
echo "launch with a cgroup (CAP_MKNOD: the device program), each run after" \
	"a 50 ms pause:"
set --
[ -x "${BENCH_KEEL_BEFORE:-}" ] && set -- "keel cg (before)" \
	"$BENCH_KEEL_BEFORE run --unverified-root-dir $CGROOT -- /bin/true"
RR_GAP_MS=50 "$RR" $((RUNS / 5 + 10)) 3 "$OUT/cgroup.csv" \
	"keel cg" "$KEEL run --unverified-root-dir $CGROOT -- /bin/true" \
	"$@" || exit 1
awk -F, 'NR > 1 { mean[$1] = $2 * 1000; med[$1] = $4 * 1000 }
END {
	printf "means (ms): keel %.2f (median %.2f)", mean["keel cg"],
		med["keel cg"]
	b = "keel cg (before)"
	if (b in mean)
		printf ";  before %.2f (median %.2f);  before / keel = %.2f" \
			" (medians %.2f)", mean[b], med[b],
			mean[b] / mean["keel cg"], med[b] / med["keel cg"]
	printf "\n"
}' "$OUT/cgroup.csv"

# --- verified launch: keel run IMAGE against bwrap on the same tree -----
# A busybox-sized image (busybox and the probe as /bin/true): keel checks
# the signature and the whole tree, maps the image and launches; bwrap
# launches the unpacked tree with no check at all.
SMALL=$WORK/small-root
mkdir -p "$SMALL"
cp -a "$ROOT/." "$SMALL/"
if command -v busybox >/dev/null; then
	cp "$(command -v busybox)" "$SMALL/bin/busybox"
else
	head -c $((2 * 1024 * 1024)) /dev/urandom >"$SMALL/bin/busybox"
fi
"$KEEL" image build "$SMALL" -o "$WORK/small.img" --board test-board \
	--fs "${BENCH_FS:-erofs}" >/dev/null &&
	"$KEEL" image sign "$WORK/small.img" \
		--key "$TOP/keys/test/release/test-release-a.key" >/dev/null ||
	{ echo "bench launch: small image build failed"; exit 1; }
VBWRAP="bwrap --unshare-pid --unshare-ipc --unshare-uts --unshare-net \
--unshare-cgroup --ro-bind $SMALL / --proc /proc --dev /dev --tmpfs /run \
--tmpfs /tmp /bin/true"
echo
echo "verified launch, $(($(stat -c %s "$WORK/small.img") / 1024)) KiB image" \
	"(warm cache): keel run IMAGE vs bwrap (no check) on its tree"
set --
[ -x "${BENCH_KEEL_BEFORE:-}" ] && set -- "keel run IMAGE (before)" \
	"$BENCH_KEEL_BEFORE run $WORK/small.img -- /bin/true"
"$RR" "$VRUNS" 10 "$OUT/verified.csv" \
	"keel run IMAGE" "$KEEL run $WORK/small.img -- /bin/true" \
	"bwrap tree" "$VBWRAP" "$@" || exit 1
awk -F, 'NR > 1 { mean[$1] = $2 * 1000; med[$1] = $4 * 1000 }
END {
	printf "means (ms): keel run %.2f  bwrap %.2f;  keel / bwrap = %.2f" \
		" (medians %.2f)   target <= 1\n", mean["keel run IMAGE"],
		mean["bwrap tree"], mean["keel run IMAGE"] / mean["bwrap tree"],
		med["keel run IMAGE"] / med["bwrap tree"]
	b = "keel run IMAGE (before)"
	if (b in mean)
		printf "before: keel run %.2f ms; before / bwrap = %.2f" \
			" (medians %.2f)\n", mean[b], mean[b] / mean["bwrap tree"],
			med[b] / med["bwrap tree"]
}' "$OUT/verified.csv"

# --- keel run end to end: verify + loop + mount + launch, 64 MiB image ---
IMGROOT=$WORK/img-root
mkdir -p "$IMGROOT"
cp -a "$ROOT/." "$IMGROOT/"
head -c $((64 * 1024 * 1024 - 200 * 1024)) /dev/urandom >"$IMGROOT/payload"
"$KEEL" image build "$IMGROOT" -o "$WORK/app.img" --board test-board \
	--fs "${BENCH_FS:-erofs}" >/dev/null &&
	"$KEEL" image sign "$WORK/app.img" \
		--key "$TOP/keys/test/release/test-release-a.key" >/dev/null ||
	{ echo "bench launch: image build failed"; exit 1; }
echo
echo "keel run end to end, $(($(stat -c %s "$WORK/app.img") / 1048576)) MiB image (warm cache):"
hyperfine -N --warmup 2 --runs 20 --export-csv "$OUT/run-e2e.csv" \
	-n "keel run IMG" "$KEEL run $WORK/app.img -- /bin/true"
