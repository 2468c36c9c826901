#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: every figure keel's issues ask for, each measured beside its
# peers in the same run, as ratios; timings are reported, never asserted.
#
# Usage (root): O=build-dir tests/bench/run.sh
#   BENCH_QUICK=1        smoke run: fewer repetitions, smaller images
#   BENCH_ONLY="verify sha ec size launch init qemu install fetch"  some
#                        sections
#   BENCH_KEEP=1         keep the work directory (its path is printed)
#   BENCH_INIT_BEFORE=FILE  an earlier keel-init (with the keel beside
#                        it) booted in the init figures' rounds too
#   BENCH_RT=1           the init figures' boots (every init alike) at
#                        real-time priority (chrt -f): on a shared, loaded
#                        machine, the work of a boot without its wait
#                        behind the others' processes
# keel-init's boot by its steps, two builds side by side, from the init
# section's kept work directory: tests/bench/init-steps.sh.
# Needs $O/keel, $O/keel-init, $O/probe (make O=... all), the board for
# the QEMU figures (make O=... board), and scripts/deps.sh's packages.
# Everything printed also goes to $O/bench/results.txt; the table at the
# end gives each figure against each peer. A ratio is the peer's time
# over keel's (MB/s: keel's speed over the peer's; memory: the peer's
# over keel's), so above 1 means keel does better; of means, with the
# ratios of medians and of minimums beside. The "met" column compares the mean ratio with the issue's
# target and is information only: this machine is shared and noisy.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$TOP/build}
case $O in /*) ;; *) O=$TOP/$O ;; esac
BENCH=$TOP/tests/bench
KEEL=$O/keel
INIT=$O/keel-init
. "$TOP/tests/init_lib.sh" # board_write
KEY=$TOP/keys/test/release/test-release-a.key
RES=$O/bench
QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-verify sha ec size launch init qemu install fetch}

if [ "$QUICK" = 1 ]; then
	VMIB=32 VRUNS=2 SHA_SEC=1 SHA_ROUNDS=1 LRUNS=20 LVRUNS=20
	IMIB=32 IRUNS=2 NINIT=${BENCH_NINIT:-3} QBOOTS=1 PMIB=16
else
	VMIB=256 VRUNS=5 SHA_SEC=1 SHA_ROUNDS=3 LRUNS=300 LVRUNS=150
	IMIB=256 IRUNS=7 NINIT=${BENCH_NINIT:-10} QBOOTS=2 PMIB=64
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench.XXXXXX")
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"' EXIT
ROWS=$WORK/rows

# --- helpers -------------------------------------------------------------
say() { echo "$*"; }
indent() { sed 's/^/  /'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
section() {
	say
	say "=== $* (load $(load), $(date +%H:%M:%S))"
}
# calc EXPR: awk arithmetic, printed with %.2f unless FMT is given
calc() { awk "BEGIN { printf \"${2:-%.2f}\", $1 }"; }
# row FIGURE KEEL PEER PEER-VALUE RATIO TARGET MET: one line of the table
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"
}
# ratios KEEL-STATS PEER-STATS: "M.MMx (med M.MM, min M.MM)" of peer/keel
ratios() {
	echo "$1 $2" | awk '{ printf "%.2fx (med %.2f, min %.2f)",
		$5 / $1, $6 / $2, $7 / $3 }'
}
# mean STATS: the first field
mean() { echo "$1" | cut -d' ' -f1; }
# side_row FIGURE KEEL-STATS PEER PEER-STATS: a row of two µs timings
# side by side, with no target
side_row() {
	row "$1" "$(calc "$(mean "$2") / 1000" "%.1f ms")" "$3" \
		"$(calc "$(mean "$4") / 1000" "%.1f ms")" "$(ratios "$2" "$4")" - -
}
# met VALUE OP TARGET: "met" or "not met" (awk comparison)
met() { if awk "BEGIN { exit !($1 $2 $3) }"; then echo met; else
	echo "not met"; fi; }
ms() { calc "$1 * 1000" "%.1f ms"; }
hf() { python3 "$BENCH/stats.py" hf "$@"; }
nums() { python3 "$BENCH/stats.py" nums; }

# static helpers built from tests/bench with musl, as keel is built
build_helpers() {
	musl-gcc -static -Os -Wall -Wextra -Werror -o "$WORK/stamp" \
		"$BENCH/stamp.c" || return 1
	(cd "$TOP" && musl-gcc -std=gnu11 -O2 -static -Wall -Wextra -Werror \
		-isystem "$O/include" -Icompat -I. -o "$WORK/sha_speed" \
		tests/bench/sha_speed.c "$O/libkeel.a" \
		"$O/deps/lib/libbearssl.a") || return 1
	# P-256 as each binary links it: keel's -O3 build first, or not
	for v in keel init; do
		fast=
		[ $v = keel ] && fast=$O/deps/lib/libbearssl-p256fast.a
		(cd "$TOP" && musl-gcc -std=gnu11 -O2 -static -Wall -Wextra \
			-Werror -isystem "$O/include" -Icompat -I. \
			-o "$WORK/ec_$v" tests/bench/ec_speed.c "$O/libkeel.a" \
			$fast "$O/deps/lib/libbearssl.a") || return 1
	done
}

# random_root DIR MIB: MIB MiB of random files (4 MiB each, then the rest)
random_root() { # (shell variables are global: rr_ names its own)
	mkdir -p "$1"
	rr_left=$(($2 * 1024))
	rr_n=0
	while [ $rr_left -gt 0 ]; do
		rr_kib=4096
		[ $rr_left -lt $rr_kib ] && rr_kib=$rr_left
		head -c $((rr_kib * 1024)) /dev/urandom >"$1/blob$rr_n"
		rr_left=$((rr_left - rr_kib))
		rr_n=$((rr_n + 1))
	done
}

# --- 1. keel image verify against veritysetup and sha256sum (issue 2) ----
bench_verify() {
	section "1. image verify, $VMIB MiB: keel vs veritysetup vs sha256sum"
	v=$WORK/verify
	random_root "$v/root" "$VMIB"
	if ! "$KEEL" image build "$v/root" -o "$v/img" --board test-board --fs squashfs \
		>/dev/null || ! "$KEEL" image sign "$v/img" --key "$KEY" \
		>/dev/null; then
		say "  image build failed: not measured"
		return
	fi
	rm -rf "$v/root"
	val() { "$KEEL" image inspect "$v/img" | sed -n "s/^$1=//p"; }
	vs="veritysetup verify --no-superblock --hash=sha256 \
--data-blocks=$(val data_blocks) --data-block-size=$(val data_block_size) \
--hash-block-size=$(val hash_block_size) --hash-offset=$(val hash_offset) \
--salt=$(val salt) $v/img $v/img $(val root_hash)"
	if ! $vs >"$v/vs.out" 2>&1; then
		say "  veritysetup refuses the image:"
		indent <"$v/vs.out"
		return
	fi
	size=$(stat -c %s "$v/img")
	say "  image $(calc "$size / 1048576" %.1f) MiB, squashfs," \
		"$(val data_blocks) data blocks; warm page cache"
	hyperfine -N --warmup 1 --runs "$VRUNS" --export-json "$v/h.json" \
		-n keel "$KEEL image verify $v/img" -n veritysetup "$vs" \
		-n sha256sum "sha256sum $v/img" >"$v/h.txt" 2>&1 ||
		{ indent <"$v/h.txt"; say "  hyperfine failed"; return; }
	grep -E '^(Benchmark|  Time|  Range)' "$v/h.txt" | indent
	k=$(hf "$v/h.json" keel)
	for p in veritysetup sha256sum; do
		s=$(hf "$v/h.json" $p)
		r=$(ratios "$k" "$s")
		tgt=- m=-
		if [ $p = veritysetup ]; then
			tgt="> 1x"
			m=$(met "$(mean "$s") / $(mean "$k")" ">" 1)
		fi
		row "image verify $VMIB MiB" "$(ms "$(mean "$k")")" "$p" \
			"$(ms "$(mean "$s")")" "$r" "$tgt" "$m"
	done
	rm -f "$v/img"
}

# --- SHA-256 throughput: keel (SHA-NI) vs openssl speed (issue 2) --------
bench_sha() {
	section "SHA-256 throughput, 4096-byte messages: keel vs openssl"
	: >"$WORK/sha.k"
	: >"$WORK/sha.o"
	: >"$WORK/sha.p"
	i=0
	while [ $i -lt $SHA_ROUNDS ]; do # alternate: both see the same load
		"$WORK/sha_speed" "$SHA_SEC" >"$WORK/sha.out"
		sed -n 's/^sha256 hw \([0-9]*\) MB.*/\1/p' "$WORK/sha.out" \
			>>"$WORK/sha.k"
		sed -n 's/^sha256 portable \([0-9]*\) MB.*/\1/p' \
			"$WORK/sha.out" >>"$WORK/sha.p"
		openssl speed -evp sha256 -bytes 4096 -seconds "$SHA_SEC" \
			2>/dev/null |
			awk '$1 == "sha256" { sub("k", "", $2);
				printf "%.0f\n", $2 / 1000 }' >>"$WORK/sha.o"
		i=$((i + 1))
	done
	k=$(nums <"$WORK/sha.k") o=$(nums <"$WORK/sha.o") \
		p=$(nums <"$WORK/sha.p")
	say "  keel SHA-NI  MB/s: $(tr '\n' ' ' <"$WORK/sha.k")"
	say "  keel C code MB/s: $(tr '\n' ' ' <"$WORK/sha.p")"
	say "  openssl      MB/s: $(tr '\n' ' ' <"$WORK/sha.o")"
	if [ -z "$k" ] || [ -z "$o" ]; then
		say "  not measured (no SHA-NI, or openssl speed failed)"
		return
	fi
	# speeds: keel / peer, so the fields swap against ratios()
	r=$(ratios "$o" "$k")
	row "SHA-256 4 KiB msgs" "$(calc "$(mean "$k")" "%.0f MB/s")" \
		"openssl speed" "$(calc "$(mean "$o")" "%.0f MB/s")" "$r" \
		- -
	row "SHA-256 4 KiB msgs" "$(calc "$(mean "$k")" "%.0f MB/s")" \
		"keel portable (C)" \
		"$(calc "$(mean "$p")" "%.0f MB/s")" \
		"$(echo "$p $k" | awk '{ printf "%.2fx", $5 / $1 }')" - -
}

# --- P-256 signature check: keel's and keel-init's builds, openssl -------
# One check per `keel run IMAGE`, on its path (issue 12); keel-init
# checks each slot it boots with its -Os build (its size budget).
bench_ec() {
	section "P-256 signature check: keel (-O3), keel-init (-Os), openssl"
	for f in k i o; do : >"$WORK/ec.$f"; done
	i=0
	while [ $i -lt $SHA_ROUNDS ]; do # alternate: the same load on each
		"$WORK/ec_keel" "$SHA_SEC" |
			sed -n 's/^p256 verify \([0-9.]*\) us/\1/p' >>"$WORK/ec.k"
		"$WORK/ec_init" "$SHA_SEC" |
			sed -n 's/^p256 verify \([0-9.]*\) us/\1/p' >>"$WORK/ec.i"
		openssl speed -seconds "$SHA_SEC" ecdsap256 2>/dev/null |
			awk '/nistp256/ { printf "%.1f\n", 1e6 / $NF }' \
				>>"$WORK/ec.o"
		i=$((i + 1))
	done
	k=$(nums <"$WORK/ec.k") n=$(nums <"$WORK/ec.i") o=$(nums <"$WORK/ec.o")
	say "  keel (-O3)      us: $(tr '\n' ' ' <"$WORK/ec.k")"
	say "  keel-init (-Os) us: $(tr '\n' ' ' <"$WORK/ec.i")"
	say "  openssl         us: $(tr '\n' ' ' <"$WORK/ec.o")"
	if [ -z "$k" ] || [ -z "$n" ] || [ -z "$o" ]; then
		say "  not measured (a check failed, or openssl speed did)"
		return
	fi
	us() { calc "$(mean "$1")" "%.0f us"; }
	row "P-256 verify" "$(us "$k")" "keel-init's build (-Os)" \
		"$(us "$n")" "$(ratios "$k" "$n")" - -
	row "P-256 verify" "$(us "$k")" "openssl speed ecdsap256" \
		"$(us "$o")" "$(ratios "$k" "$o")" - -
}

# --- stripped sizes (issues 2 and 4) -------------------------------------
bench_size() {
	section "stripped sizes"
	for b in keel-init keel; do
		f=$O/$b
		s=$(stat -c %s "$f")
		st=stripped
		file "$f" | grep -q 'not stripped' && st="NOT stripped"
		say "  $b: $s bytes ($(calc "$s / 1024" %.1f) KiB), $st"
		if [ $b = keel-init ]; then
			row "$b size ($st)" "$(calc "$s / 1024" "%.1f KiB")" - - - \
				"<= 128 KiB" "$(met "$s" "<=" 131072)"
		else
			row "$b size ($st)" "$(calc "$s / 1024" "%.1f KiB")" \
				- - - - -
		fi
	done
	# the initramfs's userland: /init (keel-init) and /bin/keel
	s=$(($(stat -c %s "$O/keel-init") + $(stat -c %s "$O/keel")))
	say "  initramfs userland (keel-init + keel): $s bytes"
	row "initramfs userland" "$(calc "$s / 1024" "%.1f KiB")" \
		"busybox-static alone" \
		"$(calc "$(stat -c %s "$(command -v busybox)") / 1024" "%.1f KiB")" \
		- - -
}

# --- 2. launch: keel vs unshare, bwrap, crun; keel run e2e (issue 3) -----
bench_launch() {
	section "2. /bin/true in mnt+pid+uts+ipc+net: keel, unshare, bwrap," \
		"crun, the clone+exec floor; keel run IMAGE vs bwrap"
	l=$WORK/launch
	mkdir -p "$l"
	BENCH_OUT=$l BENCH_FS=squashfs O=$O sh "$BENCH/launch.sh" "$LRUNS" \
		"$LVRUNS" >"$l/out" 2>&1
	rc=$?
	grep -v -e '^ *$' -e 'Warning: ' "$l/out" | indent
	[ $rc = 0 ] && [ -f "$l/launch.csv" ] ||
		{ say "  launch.sh failed (exit $rc)"; return; }
	k=$(hf "$l/launch.csv" keel)
	for p in "unshare -fmpiun" "bwrap" "crun run"; do
		case $p in
		unshare*) n=unshare t=">= 1x" v=1 ;;
		bwrap) n=bwrap t=">= 2.5x" v=2.5 ;;
		crun*) n=crun t=">= 6x" v=6 ;;
		esac
		s=$(hf "$l/launch.csv" $n) || continue
		row "launch /bin/true" "$(ms "$(mean "$k")")" "$p" \
			"$(ms "$(mean "$s")")" "$(ratios "$k" "$s")" "$t" \
			"$(met "$(mean "$s") / $(mean "$k")" ">=" $v)"
	done
	# the kernel's share: what no launcher can go under (information)
	if s=$(hf "$l/launch.csv" floor); then
		row "launch /bin/true" "$(ms "$(mean "$k")")" \
			"clone+exec floor (floor.c)" "$(ms "$(mean "$s")")" \
			"$(ratios "$k" "$s")" - -
		# what the crun target asks, against that floor
		if c=$(hf "$l/launch.csv" crun); then
			row "launch /bin/true: crun's time" \
				"$(ms "$(mean "$c")")" "the floor" \
				"$(ms "$(mean "$s")")" \
				"$(calc "$(mean "$c") / $(mean "$s")")x the floor; 6x crun = keel at $(calc "$(mean "$c") / 6 / $(mean "$s")")x the floor" \
				- -
		fi
	fi
	if v=$(hf "$l/verified.csv" "keel run IMAGE") &&
		b=$(hf "$l/verified.csv" "bwrap tree"); then
		row "verified launch, busybox image" "$(ms "$(mean "$v")")" \
			"bwrap, its tree, no check" "$(ms "$(mean "$b")")" \
			"$(ratios "$v" "$b")" ">= 1x" \
			"$(met "$(mean "$b") / $(mean "$v")" ">=" 1)"
	fi
	if c=$(hf "$l/cgroup.csv" "keel cg"); then
		if b=$(hf "$l/cgroup.csv" "keel cg (before)"); then
			row "launch with a cgroup (devices)" \
				"$(ms "$(mean "$c")")" "keel (before)" \
				"$(ms "$(mean "$b")")" "$(ratios "$c" "$b")" - -
		else
			row "launch with a cgroup (devices)" \
				"$(ms "$(mean "$c")")" - - - - -
		fi
	fi
	if e=$(hf "$l/run-e2e.csv" "keel run IMG"); then
		row "keel run e2e, 64 MiB image" "$(ms "$(mean "$e")")" \
			"(verify+mount+launch)" - - - -
	fi
}

# --- 3. keel-init on the host and in QEMU: tests/bench/init.sh ----------
. "$BENCH/init.sh"

# --- 4. install throughput: keel install vs lz4 -dc | dd, RAUC (issue 5) -
bench_install() {
	section "4. install of a $IMIB MiB bundle into a loop device:" \
		"keel install vs lz4 -dc | dd vs RAUC"
	n=$WORK/install
	mkdir -p "$n"
	BENCH_OUT=$n RUNS=$IRUNS O=$O sh "$BENCH/install.sh" "$IMIB" \
		>"$n/out" 2>&1
	rc=$?
	indent <"$n/out"
	[ $rc = 0 ] && [ -f "$n/install.json" ] ||
		{ say "  install.sh failed (exit $rc)"; return; }
	size=$(cat "$n/install.size")
	fig="install, $(calc "$size / 1048576" %.0f) MiB image"
	k=$(hf "$n/install.json" "keel install")
	mbs() { calc "$size / 1e6 / $(mean "$1")" "%.0f MB/s"; }
	for p in "lz4 -dc | dd" "lz4 -dc | dd conv=fsync" "rauc install"; do
		s=$(hf "$n/install.json" "$p") || continue
		t=- m=-
		if [ "$p" = "lz4 -dc | dd" ]; then
			t=">= 0.9x"
			m=$(met "$(mean "$s") / $(mean "$k")" ">=" 0.9)
		fi
		row "$fig" "$(mbs "$k")" "$p" "$(mbs "$s")" \
			"$(ratios "$k" "$s")" "$t" "$m"
	done
	if ! grep -q '^rauc: rauc' "$n/out"; then
		row "$fig" "$(mbs "$k")" "rauc install" \
			"$(sed -n 's/^rauc: //p' "$n/out" | head -n 1)" - - -
	fi
}

# --- 5. updates over the network (issue 11) ------------------------------
bench_fetch() {
	section "5. install over https from nginx on 127.0.0.1, and delta" \
		"bytes"
	n=$WORK/fetch
	mkdir -p "$n"
	BENCH_OUT=$n RUNS=$IRUNS O=$O sh "$BENCH/fetch.sh" "$IMIB" \
		>"$n/out" 2>&1
	rc=$?
	indent <"$n/out"
	[ $rc = 0 ] && [ -f "$n/fetch.vals" ] ||
		{ say "  fetch.sh failed (exit $rc)"; return; }
	v() { sed -n "s/^$1=//p" "$n/fetch.vals"; }
	k=$(v keel)
	for p in dd pipe; do
		pv=$(v "$p") t=- m=- name="curl | keel install -"
		[ -n "$pv" ] && [ -n "$k" ] || continue
		if [ $p = dd ]; then
			name="curl | lz4 -dc | dd" t=">= 0.8x"
			m=$(met "$k / $pv" ">=" 0.8)
		fi
		row "install over https" "$k MB/s" "$name" "$pv MB/s" \
			"$(calc "$k / $pv")x" "$t" "$m"
	done
	got=$(v delta_got) full=$(v delta_full)
	[ -n "$got" ] && [ -n "$full" ] && row "delta, one-file change" \
		"$got B" "full bundle" "$full B" \
		"$(calc "100 * $got / $full" "%.2f%%")" "< 5%" \
		"$(met "$got * 20" "<" "$full")"
}

# --- the table -----------------------------------------------------------
table() {
	say
	say "=== results: ratio = peer time / keel time (keel's speed /" \
		"the peer's for MB/s), of means (medians, minimums); met is" \
		"information only"
	{
		printf 'figure\tkeel\tpeer\tpeer value\tratio\ttarget\tmet\n'
		cat "$ROWS"
	} | awk -F'\t' '{ for (c = 1; c <= NF; c++) { cell[NR, c] = $c
			if (length($c) > w[c]) w[c] = length($c) } }
		END { for (r = 1; r <= NR; r++) { line = ""
			for (c = 1; c <= 7; c++)
				line = line sprintf("%-*s  ", w[c], cell[r, c])
			sub(/ +$/, "", line); print line
			if (r == 1) { s = ""; for (c = 1; c <= 7; c++)
				s = s sprintf("%*s", w[c] + 2, "")
				gsub(/ /, "-", s); print s } } }'
}

versions() {
	say "machine: $(nproc) CPUs, $(sed -n 's/^model name\t: //p' \
		/proc/cpuinfo | head -n 1), Linux $(uname -r)"
	say "peers: $(bwrap --version 2>/dev/null), $(crun --version \
		2>/dev/null | head -n 1), $(veritysetup --version 2>/dev/null |
		cut -d' ' -f1-2), $(openssl version 2>/dev/null | cut -d' ' -f1-2),"
	say "  $(hyperfine --version 2>/dev/null), lz4 $(lz4 -V 2>/dev/null |
		sed -n 's/.* v\([0-9.]*\).*/\1/p'), $(busybox 2>/dev/null |
		head -n 1 | cut -d' ' -f1-2), rauc $(rauc --version 2>/dev/null |
		cut -d' ' -f2)"
}

main() {
	t_all=$(date +%s)
	say "keel make bench, $(date -u '+%Y-%m-%d %H:%M:%S UTC')," \
		"BENCH_QUICK=$QUICK, load average at start: $(load)"
	[ -n "${BENCH_KEEP:-}" ] && say "work directory kept: $WORK"
	versions
	: >"$ROWS"
	want verify && bench_verify
	want sha && bench_sha
	want ec && bench_ec
	want size && bench_size
	want launch && bench_launch
	want init && bench_init
	want qemu && bench_qemu
	want install && bench_install
	want fetch && bench_fetch
	table
	say
	say "load average at the end: $(load); $(($(date +%s) - t_all)) s in all" \
		"(a shared machine: expect noise)"
}

[ "$(id -u)" = 0 ] || { echo "bench: needs root (namespaces, loop devices)"; exit 1; }
for f in "$KEEL" "$INIT" "$O/probe" "$O/libkeel.a"; do
	[ -e "$f" ] || { echo "bench: $f missing (make O=$O all)"; exit 1; }
done
for t in hyperfine bwrap crun unshare veritysetup openssl lz4 python3 \
	musl-gcc; do
	command -v $t >/dev/null ||
		{ echo "bench: $t missing (scripts/deps.sh)"; exit 1; }
done
build_helpers || { echo "bench: helpers do not build"; exit 1; }
mkdir -p "$RES"
main 2>&1 | tee "$RES/results.txt"
