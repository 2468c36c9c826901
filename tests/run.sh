#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs keel's test tiers and prints one closing line "N passed, N failed".
# Usage: tests/run.sh all|unit|host|qemu
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-$top/build}
export O
tier=${1:-all}
log=$O/tests.log
mkdir -p "$O"
: >"$log"
cd "$top"
total_pass=0 total_fail=0

count() { # add the "N passed, M failed" of the last such line of $1
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	p=$(echo "$line" | sed -n 's/^\(.*[^0-9]\)\{0,1\}\([0-9][0-9]*\) passed.*/\2/p')
	f=$(echo "$line" | sed -n 's/.*passed, \([0-9][0-9]*\) failed.*/\1/p')
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-1}))
}

run_one() { # name cmd...
	name=$1; shift
	out=$O/tests/$name.out
	mkdir -p "$(dirname "$out")"
	"$@" >"$out" 2>&1
	rc=$?
	count "$out"
	grep -E '^(FAIL|SKIP)' "$out" | head -n 30
	if [ $rc != 0 ] && ! grep -q '^FAIL' "$out"; then
		echo "FAIL $name: exited $rc"; tail -n 15 "$out" | sed 's/^/    /'
		total_fail=$((total_fail + 1))
	fi
	echo "  $(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1 || true)"
	cat "$out" >>"$log"
}

if [ "$tier" = all ] || [ "$tier" = unit ]; then
	echo "== unit (ASan/UBSan)"
	for t in "$O"/host/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$tier" = all ] || [ "$tier" = host ]; then
	echo "== host integration"
	for t in "$top"/tests/host/*.sh; do
		[ -f "$t" ] || continue
		run_one "host/$(basename "$t" .sh)" sh "$t"
	done
fi
if [ "$tier" = all ] || [ "$tier" = qemu ]; then
	echo "== qemu"
	for t in "$top"/tests/qemu/*.sh; do
		[ -f "$t" ] || continue
		run_one "qemu/$(basename "$t" .sh)" sh "$t"
	done
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
