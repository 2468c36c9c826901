# SPDX-License-Identifier: MIT
# tests/qemu/update.sh's helpers: the disk's partitions as files and the
# console of each boot, read for what keel-init and the app said. Sourced
# by it; they read dev.disk, pa, pb and smib.
part() { partx -g -o START,NAME dev.disk | awk -v n="$1" \
	'$2 == n { print $1 * 512 }'; }
# slot A|B: the slot's partition as a file, slot.A|B
slot() {
	o=$pa
	[ "$1" = b ] && o=$pb
	dd if=dev.disk of="slot.$1" bs=1M skip=$((o / 1048576)) count="$smib" \
		status=none
}
sum() { slot "$1" && sha256sum <"slot.$1"; }
# files NAME OFFSET MIB: the etc or var partition as NAME.part, and the
# inodes in use by e2fsck's count ("N/M files")
files() {
	dd if=dev.disk of="$1.part" bs=1M skip=$(($2 / 1048576)) count="$3" \
		status=none
	e2fsck -fn "$1.part" 2>&1 | sed -n 's/.*: \([0-9]*\)\/[0-9]* files.*/\1/p'
}
verifies() { slot "$1" && "$KEEL" image verify "slot.$1" >/dev/null 2>&1; }

# boot NAME APPEND [keel qemu args]: console in NAME.con, exit in $rc
boot() {
	n=$1 a=$2
	shift 2
	b0=$(date +%s%N)
	"$KEEL" qemu --board "$BOARD" dev.disk --timeout $((90 * SLOW)) --append "$a" \
		"$@" >"$n.raw" 2>"$n.err"
	rc=$?
	tr -d '\r' <"$n.raw" >"$n.con"
	echo "update: boot $n: exit $rc, $((($(date +%s%N) - b0) / 1000000)) ms"
}
CON_APP='^app: ut:'
has() { con_has "$@"; }
hasnt() { con_hasnt "$@"; }
# count NAME PATTERN: console lines matching
count() { grep -c -e "$2" "$1.con"; }
# klines NAME TEXT: keel-init's own console lines starting with TEXT
klines() { count "$1" "^\[+[0-9.]*s\] keel: $2"; }
# val NAME KEY: what the app printed as "ut: KEY=..."
val() { sed -n "s/^app: ut: $2=//p" "$1.con" | head -n 1; }
# st NAME TAG KEY [SLOT]: a key of the app's "keel status" TAG (of SLOT)
st() {
	sed -n "s/^app: ut: $2: //p" "$1.con" | awk -v k="$3" -v s="${4:-}" '
		/^slot=/ { cur = substr($0, 6) }
		s == "" && cur == "" && index($0, k "=") == 1 ||
		s != "" && cur == s && index($0, k "=") == 1 {
			print substr($0, length(k) + 2); exit }'
}
# at NAME PATTERN: the µs stamp of keel-init's first line matching PATTERN
# (a line may follow progress drawn in place on the same console line)
at() {
	sed -n "s/.*\[+\([0-9]*\)\.\([0-9]*\)s\] keel: $2.*/\1\2/p" "$1.con" |
		head -n 1 | sed 's/^0*\([0-9]\)/\1/'
}
rnd() { echo $(($(od -An -N2 -tu2 /dev/urandom) % $1)); }
