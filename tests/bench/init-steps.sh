#!/bin/sh
# SPDX-License-Identifier: MIT
# keel-init's boot by steps, two builds side by side: the time between
# the stamps of its own log lines, from its start to "app: started".
#
# Usage (root): tests/bench/init-steps.sh DIR BEFORE AFTER [ROUNDS]
#   DIR     a work directory the init bench kept (BENCH_KEEP=1
#           BENCH_ONLY=init BENCH_INIT_BEFORE=... tests/bench/run.sh):
#           its init/board.conf and init/kb-board.conf, each with the
#           slots, state and partitions of its own
#   BEFORE  the earlier keel-init (the keel next to it is the one it runs)
#   AFTER   keel-init to compare
#   BENCH_RT=1   every boot at real-time priority (chrt -f), as in run.sh
# Boots alternate, ROUNDS (default 20) of each; prints each step's mean
# and median for both, and before/after as ratios (above 1: faster).
set -u
[ $# -ge 3 ] || { sed -n '3,14p' "$0" | cut -c3-; exit 2; }
D=$1/init BEFORE=$2 AFTER=$3 N=${4:-20}
RT=
[ "${BENCH_RT:-0}" = 1 ] && RT="chrt -f 10"
[ -f "$D/board.conf" ] && [ -f "$D/kb-board.conf" ] ||
	{ echo "init-steps: no $D/board.conf and kb-board.conf" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/keel-steps.XXXXXX")
trap 'rm -rf "$T"' EXIT
# boot WHO BIN BOARD: one boot, its steps (ms) appended to $T/WHO
boot() {
	$RT timeout 60 unshare --fork --pid --mount --propagation private -- \
		"$2" --test --board "$3" >"$T/out" 2>&1
	awk '/^\[\+/ { t = substr($1, 3) + 0 }
		/: signed, version/ { s = t } / verified, mounting / { v = t }
		/ keel: boot: ready / { r = t } / keel: app: started / { a = t }
		END { if (a) printf "%.2f %.2f %.2f %.2f %.2f\n", s * 1000,
			(v - s) * 1000, (r - v) * 1000, (a - r) * 1000,
			a * 1000 }' "$T/out" >>"$T/$1"
}
for _ in $(seq "$N"); do
	boot b "$BEFORE" "$D/kb-board.conf"
	boot a "$AFTER" "$D/board.conf"
done
python3 - "$T/b" "$T/a" <<'PY'
import statistics as st, sys
names = ["start to signed", "signed to verified", "verified to ready",
         "ready to app started", "start to app started"]
rows = [[list(map(float, l.split())) for l in open(f)] for f in sys.argv[1:]]
print("boots: %d before, %d after (ms: mean, median)" % tuple(map(len, rows)))
for k, n in enumerate(names):
    b = [r[k] for r in rows[0]]
    a = [r[k] for r in rows[1]]
    print("  %-22s %7.1f %7.1f   %7.1f %7.1f   %.2fx (med %.2f)" % (
        n, st.mean(b), st.median(b), st.mean(a), st.median(a),
        st.mean(b) / st.mean(a), st.median(b) / st.median(a)))
PY
