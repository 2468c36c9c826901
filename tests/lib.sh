# SPDX-License-Identifier: MIT
# Shared helpers for keel's shell tests: sourced, never run.
# Each test file calls pass/fail (or check) and ends with `finish`.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$TOP/build}
KEEL=$O/keel
TESTKEYS=$TOP/keys/test
KEY_A=$TESTKEYS/release/test-release-a.key
KEY_B=$TESTKEYS/release/test-release-b.key
# A test that sets OWN_MOUNT_NS=1 before it sources this file runs in a
# mount namespace of its own (private propagation, as root): its mount
# table changes only by what the test and the keel it runs do, never by
# mounts of other tests beside it (leak_state).
if [ "${OWN_MOUNT_NS:-}" = 1 ] && [ "${T_OWN_NS:-}" != "$0" ] &&
	[ "$(id -u)" = 0 ]; then
	exec env T_OWN_NS="$0" unshare --mount --propagation private \
		sh "$0" "$@"
fi
T_PASS=0
T_FAIL=0
T_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-$T_NAME.XXXXXX")
trap 't_cleanup' EXIT
t_cleanup() { [ -n "${KEEP:-}" ] || rm -rf "$WORK"; }

# leak_state: what a keel run must not leave behind, and what other
# tests running beside cannot change: the mount points of this test's
# own mount namespace (a test that uses it re-runs itself in one with
# private propagation first: `own_mount_ns`), and the loop devices over
# keel's private copy (a file with no name on a tmpfs mounted nowhere,
# "/#INODE (deleted)", or the memfd "keel-image") or a file of $WORK
# that nothing holds: no mount in any mount namespace, no open
# descriptor (keel's are autoclear: they go with their last holder, so
# one left is a leak; a device another test's keel is using is held).
leak_state() {
	awk '{print $5}' /proc/self/mountinfo | sort
	ls_held=$({
		cat /proc/[0-9]*/mountinfo 2>/dev/null |
			sed -n 's|.* - [^ ]* \(/dev/loop[0-9]*\) .*|\1|p'
		ls -l /proc/[0-9]*/fd 2>/dev/null |
			sed -n 's|.* -> \(/dev/loop[0-9]*\)$|\1|p'
	} | sort -u)
	losetup -a | grep -e '(/memfd:keel-image' -e '(/#[0-9]* (deleted))' \
		-e "($WORK/" |
		while IFS=: read -r ls_dev ls_rest; do
			printf '%s\n' "$ls_held" | grep -qx "$ls_dev" ||
				echo "unheld $ls_dev:$ls_rest"
		done | sort
}

pass() { T_PASS=$((T_PASS + 1)); [ -z "${VERBOSE:-}" ] || echo "ok   $T_NAME: $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $T_NAME: $*"; }

# check NAME CMD... : passes when CMD exits 0
check() { n=$1; shift; if "$@" >"$WORK/out" 2>&1; then pass "$n"; else fail "$n"; sed 's/^/    /' "$WORK/out" | head -20; fi; }
# refuse NAME PATTERN CMD... : passes when CMD exits non-zero and prints PATTERN
refuse() {
	n=$1 pat=$2; shift 2
	if "$@" >"$WORK/out" 2>&1; then
		fail "$n (exit 0)"; sed 's/^/    /' "$WORK/out" | head -5
	elif ! grep -q -e "$pat" "$WORK/out"; then
		fail "$n (no '$pat' in output)"; sed 's/^/    /' "$WORK/out" | head -5
	else
		pass "$n"
	fi
}
# same NAME A B : passes when strings are equal
same() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: '$2' != '$3'"; fi; }
# con_has NAME DESC PATTERN / con_hasnt ...: PATTERN on the console NAME.con
# of a QEMU boot; a miss shows keel's lines and the app's, those matching
# CON_APP (e.g. '^app: ut:')
con_has() {
	if grep -q -e "$3" "$1.con"; then pass "$2"; else
		fail "$2: no '$3' on the console"
		grep -e "${CON_APP:-^app:}" -e 'keel:' "$1.con" | tail -n 15 |
			sed 's/^/    /'
	fi
}
con_hasnt() {
	if grep -q -e "$3" "$1.con"; then
		fail "$2: '$3' on the console"
		grep -e "$3" "$1.con" | head -n 3 | sed 's/^/    /'
	else pass "$2"; fi
}
skip() { echo "SKIP $T_NAME: $*"; }
finish() { echo "$T_NAME: $T_PASS passed, $T_FAIL failed"; [ "$T_FAIL" = 0 ]; }

# escape_judge WHERE POLICY FILE NA-OK: the lines of `probe escape` in
# FILE: at least 25 probes ran and each was refused (n/a only for a class
# named in NA-OK); each also printed as "escape-table WHERE POLICY CLASS
# VERDICT DETAIL" for the escape table.
escape_judge() {
	ej_w=$1 ej_pol=$2 ej_f=$3 ej_na=$4
	sed -n 's/^.*\(escape [a-z0-9_]*=\(refused\|ESCAPED\|n\/a\) .*\)$/\1/p' \
		"$ej_f" >"$ej_f.lines"
	ej_n=$(wc -l <"$ej_f.lines")
	if [ "$ej_n" -ge 25 ]; then
		pass "$ej_w $ej_pol: $ej_n probes ran"
	else
		fail "$ej_w $ej_pol: only $ej_n probes ran"
		tail -n 5 "$ej_f" | sed 's/^/    /'
	fi
	while read -r _ ej_cv ej_d; do
		ej_c=${ej_cv%%=*} ej_v=${ej_cv#*=}
		echo "escape-table $ej_w $ej_pol $ej_c $ej_v $ej_d"
		case $ej_v in
		refused) pass "$ej_w $ej_pol: $ej_c refused" ;;
		n/a)
			case " $ej_na " in
			*" $ej_c "*) pass "$ej_w $ej_pol: $ej_c n/a ($ej_d)" ;;
			*) fail "$ej_w $ej_pol: $ej_c not tried: $ej_d" ;;
			esac
			;;
		*) fail "$ej_w $ej_pol: $ej_c $ej_v: $ej_d" ;;
		esac
	done <"$ej_f.lines"
}

# The QEMU board a suite boots: BOARD (qemu-x86_64 unless the caller,
# tests/run.sh, names another) and what follows from its CPU (its
# board.conf arch=): ARCH; TO, the build directory of that CPU (keel-init,
# keel-test, the probe, the unit tests; $O itself for this machine's);
# KIMAGE, the kernel file keel qemu boots; QEMU_SYSTEM; BUSYBOX, a static
# busybox of that CPU for guest userlands; TCC, a static musl compiler
# for it; TRUN, how to run one of its binaries here (QEMU's user-mode
# emulator, or nothing). KEEL_ARCH makes keel image build's --arch
# default that CPU.
BOARD=${BOARD:-qemu-x86_64}
BOUT=$O/board/$BOARD
ARCH=$(sed -n 's/^arch=//p' "$TOP/board/$BOARD/board.conf" 2>/dev/null)
ARCH=${ARCH:-x86_64}
# SLOW scales the suites' time limits (keel qemu --timeout, waits): a
# board of another CPU is emulated instruction by instruction (TCG
# translates foreign code), a boot there takes ~3 times as long.
if [ "$ARCH" = "$(uname -m)" ]; then
	TO=$O TCC=musl-gcc TRUN= BUSYBOX=$(command -v busybox) SLOW=1
else
	TO=$O/$ARCH TCC=$O/$ARCH/musl/bin/musl-gcc TRUN=qemu-$ARCH-static
	BUSYBOX=$TO/deps/bin/busybox SLOW=3
fi
case $ARCH in
aarch64) KIMAGE=Image QEMU_SYSTEM=qemu-system-aarch64 ;;
*) KIMAGE=vmlinux QEMU_SYSTEM=qemu-system-x86_64 ;;
esac
KEEL_ARCH=$ARCH
export BOARD KEEL_ARCH
# free_port: a port of 127.0.0.1 nothing listens on (QEMU's own bind for
# a forward decides in the end)
free_port() {
	p=$((20000 + $$ % 20000))
	while timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; do
		p=$((p + 1))
	done
	echo "$p"
}

# wait_http T0 SECONDS PID CMD...: runs CMD (with HTTP_T=1: it prints an
# HTTP status code) every 0.1 s until it prints 200, PID is gone, or
# SECONDS have passed since T0 (date +%s%N). ms: the milliseconds from
# T0 to the first 200, empty if none came.
wait_http() {
	wh_t0=$1 wh_s=$2 wh_pid=$3
	shift 3
	ms=
	while [ $((($(date +%s%N) - wh_t0) / 1000000000)) -lt "$wh_s" ]; do
		if [ "$(HTTP_T=1 "$@")" = 200 ]; then
			ms=$((($(date +%s%N) - wh_t0) / 1000000))
			return 0
		fi
		kill -0 "$wh_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# need_board_and_busybox: the board's kernel and keel-init (a failure
# without them), and a static busybox of the board's CPU for the app in
# BUSYBOX (a skip)
need_board_and_busybox() {
	if [ ! -f "$BOUT/$KIMAGE" ] || [ ! -x "$TO/keel-init" ]; then
		fail "no $BOUT (make O=... BOARD=$BOARD board)"
		finish
		exit 1
	fi
	if [ -z "$BUSYBOX" ] || [ ! -f "$BUSYBOX" ] ||
		LC_ALL=C readelf -l "$BUSYBOX" 2>/dev/null | grep -q INTERP; then
		skip "needs busybox-static for the app"
		finish
		exit 0
	fi
}

# need_debian_rootfs: ROOTFS, a Debian bookworm rootfs with nginx-light
# (mmdebstrap, as a .tar), made once in $O/cache and shared by every
# test that uses it; a skip when mmdebstrap or a mirror is missing.
need_debian_rootfs() {
	ROOTFS=$O/cache/debian.tar
	[ -s "$ROOTFS" ] && return 0
	if ! command -v mmdebstrap >/dev/null || [ "$(id -u)" != 0 ]; then
		skip "needs root and mmdebstrap for $ROOTFS"
		finish
		exit 0
	fi
	mkdir -p "$O/cache"
	echo "$T_NAME: making $ROOTFS (once, about 2 minutes)"
	if ! mmdebstrap --quiet --variant=essential --include=nginx-light \
		bookworm "$O/cache/debian.part.tar" >"$WORK/mmdebstrap.log" 2>&1; then
		rm -rf "$O/cache/debian.part.tar"
		skip "mmdebstrap failed (no Debian mirror?):" \
			"$(tail -n 1 "$WORK/mmdebstrap.log")"
		finish
		exit 0
	fi
	# (mmdebstrap picks its output's format by the name: .tar)
	mv "$O/cache/debian.part.tar" "$ROOTFS"
}
