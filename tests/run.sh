#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs keel's test tiers and prints one closing line "N passed, N failed".
# Usage: tests/run.sh all|unit|fuzz|host|qemu
# Env: KEEL_QEMU_BOARDS (qemu-x86_64): the QEMU tier runs every suite on
# each of these boards (BOARD=... for the suite); a board of another CPU
# than this machine's also has its unit tests run here under QEMU's
# user-mode emulator (make check builds them, in $O/ARCH/tests).
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
	t0=$(date +%s)
	"$@" >"$out" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	count "$out"
	grep -E '^(FAIL|SKIP)' "$out" | head -n 30
	if [ $rc != 0 ] && ! grep -q '^FAIL' "$out"; then
		echo "FAIL $name: exited $rc"; tail -n 15 "$out" | sed 's/^/    /'
		total_fail=$((total_fail + 1))
	fi
	echo "  $(grep -E '[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1 || true) ($secs s)"
	cat "$out" >>"$log"
}

boards=${KEEL_QEMU_BOARDS:-qemu-x86_64}
arch_of() { # board -> its CPU (board.conf arch=, x86_64 if none)
	a=$(sed -n 's/^arch=//p' "$top/board/$1/board.conf" 2>/dev/null)
	echo "${a:-x86_64}"
}

if [ "$tier" = all ] || [ "$tier" = unit ]; then
	echo "== unit (ASan/UBSan)"
	for t in "$O"/host/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
	# Another CPU's, on the CPU model keel qemu gives its board
	# (launcher/cmd_qemu.c: aarch64's Cortex-A72): all but those that
	# need its kernel (test_seccomp: tests/qemu/units.sh boots it), count
	# threads in /proc (the emulator's own threads show there:
	# test_bundle_mt) or take minutes emulated (test_verity: units.sh
	# runs its tree build and check, with and without the SHA
	# instructions, in the guest).
	for b in $boards; do
		a=$(arch_of "$b")
		[ "$a" != "$(uname -m)" ] || continue
		cpu=
		[ "$a" != aarch64 ] || cpu=cortex-a72
		echo "== unit ($a, qemu-$a-static${cpu:+ -cpu $cpu})"
		for t in "$O/$a"/tests/test_*; do
			case $(basename "$t") in
			test_seccomp | test_bundle_mt | test_verity) continue ;;
			esac
			[ -x "$t" ] || continue
			run_one "unit-$a/$(basename "$t")" \
				env ${cpu:+QEMU_CPU=$cpu} "qemu-$a-static" "$t"
		done
	done
fi
if [ "$tier" = all ] || [ "$tier" = fuzz ]; then
	# each libFuzzer target for a few seconds from its seeds and its
	# corpus (make fuzz runs them longer): a shallow crash of a parser
	# of outside bytes fails the check
	fuzz_secs=${KEEL_CHECK_FUZZ_SECONDS:-4} # run_one sets secs
	echo "== fuzz ($fuzz_secs s a target)"
	run_one fuzz/all sh "$top/tests/fuzz/run.sh" "$fuzz_secs"
fi
if [ "$tier" = all ] || [ "$tier" = host ]; then
	echo "== host integration"
	for t in "$top"/tests/host/*.sh; do
		[ -f "$t" ] || continue
		run_one "host/$(basename "$t" .sh)" sh "$t"
	done
fi
if [ "$tier" = all ] || [ "$tier" = qemu ]; then
	for b in $boards; do
		echo "== qemu ($b)"
		# this machine's CPU keeps the plain names: qemu/init.out
		d=qemu
		[ "$(arch_of "$b")" = "$(uname -m)" ] || d=$b
		for t in "$top"/tests/qemu/*.sh; do
			[ -f "$t" ] || continue
			run_one "$d/$(basename "$t" .sh)" env BOARD="$b" sh "$t"
		done
	done
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
