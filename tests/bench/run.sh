#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: every figure keel's issues ask for, each measured beside its
# peers in the same run, as ratios; timings are reported, never asserted.
#
# Usage (root): O=build-dir tests/bench/run.sh
#   BENCH_QUICK=1        smoke run: fewer repetitions, smaller images
#   BENCH_ONLY="verify sha size launch init qemu install fetch"  some sections
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
ONLY=${BENCH_ONLY:-verify sha size launch init qemu install fetch}

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
		"$O/deps/lib/libbearssl.a")
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

# --- 3. keel-init start to app exec, host --test (issue 4) ---------------
# The image: the stamp helper as /bin/app, /etc, /var/lib, random data.
init_image() { # DIR BOARD MIB [busybox]
	mkdir -p "$1/root/bin" "$1/root/etc" "$1/root/var/lib" \
		"$1/root/host/proc"
	cp "$WORK/stamp" "$1/root/bin/app"
	echo "image default" >"$1/root/etc/greeting"
	random_root "$1/root/data" "$3"
	if [ "${4:-}" = busybox ]; then
		cp "$(command -v busybox)" "$1/root/bin/busybox"
		ln -s busybox "$1/root/bin/sh"
	fi
	"$KEEL" image build "$1/root" -o "$1/a.img" --fs squashfs \
		--board "$2" --config "$1/cfg.json" >/dev/null &&
		"$KEEL" image sign "$1/a.img" --key "$KEY" >/dev/null
}

# pidns OUT CMD...: CMD as PID 1 of new pid and mount namespaces (under a
# 60 s timeout), behind a stamp printed just before; runs in the
# background, the pid of that chain in $bg (with BENCH_RT=1, the whole
# chain at real-time priority, set before the stamp)
RT=
[ "${BENCH_RT:-0}" = 1 ] && RT="chrt -f 10"
pidns() {
	out=$1
	shift
	$RT "$WORK/stamp" --exec timeout 60 unshare --fork --pid --mount \
		--propagation private -- "$@" >"$out" 2>&1 &
	bg=$!
}
# child PID: its first child
child() { cut -d' ' -f1 "/proc/$1/task/$1/children" 2>/dev/null; }
# stamps OUT: µs from the first stamp line (before the init) to the
# second (the app's first act)
stamps() { # (keel-init marks the app's lines: "app: stamp N")
	awk '$1 == "stamp" { t[n++] = $2 }
		$1 == "app:" && $2 == "stamp" { t[n++] = $3 }
		END { if (n >= 2) printf "%.0f\n", (t[1] - t[0]) / 1000 }' "$1"
}
# own OUT: keel-init's own "app: started" stamp, µs since it started
own() {
	sed -n 's/^\[+\([0-9]*\)\.\([0-9]*\)s\] keel: app: started.*/\1\2/p' \
		"$1" | head -n 1 | sed 's/^0*\([0-9]\)/\1/'
}
# rss PID: "RSS PSS" in KiB from smaps_rollup
rss() {
	awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 } END { print r, p }' \
		"/proc/$1/smaps_rollup"
}
# hold_rss VAR OUT CMD...: start CMD as PID 1 with its app held by the
# file hold in the var directory VAR; the init's "RSS PSS" (KiB) a second
# after the app started, in $held
hold_rss() {
	var=$1 out=$2
	shift 2
	# keel-init's app sees the var partition's live generation
	touch "$var/hold"
	for hg in "$var"/.keel-gen-*; do [ -d "$hg" ] && touch "$hg/hold"; done
	pidns "$out" "$@"
	for _ in $(seq 200); do
		[ "$(grep -Ec '^(app: )?stamp' "$out")" -ge 2 ] && break
		sleep 0.05
	done
	held=
	if [ "$(grep -Ec '^(app: )?stamp' "$out")" -ge 2 ]; then
		sleep 1
		# stamp became timeout; its child is unshare, whose is the init
		u=$(child $bg)
		ipid=$(child "$u")
		[ -n "$ipid" ] && held=$(rss "$ipid")
	fi
	rm -f "$var/hold" "$var"/.keel-gen-*/hold
	wait $bg
}

bench_init() {
	section "3. keel-init start to app exec, host (--test, full mode," \
		"$PMIB MiB) vs a busybox sh init${RT:+, real-time priority}"
	command -v busybox >/dev/null ||
		{ say "  busybox missing (busybox-static): not measured"; return; }
	i=$WORK/init
	mkdir -p "$i/etc" "$i/var" "$i/ref-etc" "$i/ref-var" "$i/bb"
	cat >"$i/cfg.json" <<'EOF'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/app", "--hold", "/var/lib/hold"], "cwd": "/",
  "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {"org.keel.restart": "no"}}
EOF
	init_image "$i" test-board "$PMIB" ||
		{ say "  image build failed: not measured"; return; }
	cp "$i/a.img" "$i/b.img"
	sha256sum "$i/a.img" >"$i/a.img.sha256"
	echo x >"$i/state"
	board_write "$i/board.conf" "$i/a.img" "$i/b.img" "$i/state" "$i/etc" \
		"$i/var" on_failure=halt on_app_exit=poweroff
	sed -e "s|=$i/etc|=$i/ref-etc|" -e "s|=$i/var|=$i/ref-var|" \
		"$i/board.conf" >"$i/ref-board.conf"
	for a in $(busybox --list); do ln -s "$(command -v busybox)" "$i/bb/$a"; done
	# The reference init runs busybox applets only. It does what keel-init
	# does to trust the slot: it reads the slot once into RAM (a tmpfs
	# copy, as keel-init's sealed memfd), hashes the copy and mounts the
	# copy, so neither init mounts bytes it did not check. "ref0" is the
	# reference that hashes the file and then mounts the file (a medium
	# can change its answer in between): shown for the earlier figures.
	bb=$(command -v busybox)
	# ref REF-COPY BOARD: the reference's command line
	ref() { echo "env -i PATH=$i/bb REF_COPY=$1 $bb sh $BENCH/ref-init.sh" \
		"$2 squashfs /bin/app --hold /var/lib/hold"; }
	sed -e "s|=$i/ref-etc|=$i/ref0-etc|" -e "s|=$i/ref-var|=$i/ref0-var|" \
		"$i/ref-board.conf" >"$i/ref0-board.conf"
	mkdir -p "$i/ref0-etc" "$i/ref0-var"
	# keel-init built from an earlier tree, in the same rounds
	before=${BENCH_INIT_BEFORE:-}
	[ -n "$before" ] && [ ! -x "$before" ] && before=
	if [ -n "$before" ]; then
		mkdir -p "$i/kb-etc" "$i/kb-var"
		echo x >"$i/kb-state"
		sed -e "s|=$i/etc|=$i/kb-etc|" -e "s|=$i/var|=$i/kb-var|" \
			-e "s|=$i/state|=$i/kb-state|" "$i/board.conf" \
			>"$i/kb-board.conf"
	fi
	# run1 WHO: one boot of WHO (k keel-init, kb the earlier keel-init,
	# r the reference, r0 the reference without the copy, f the floor:
	# a static stub as PID 1 that only prints its stamp, so what the
	# harness itself costs, timeout, unshare and an exec, which every
	# init's figure includes) into $i/WHO.out
	run1() {
		case $1 in
		k) pidns "$i/k.out" "$INIT" --test --board "$i/board.conf" ;;
		f) pidns "$i/f.out" "$WORK/stamp" ;;
		kb) pidns "$i/kb.out" "$before" --test --board "$i/kb-board.conf" ;;
		r) pidns "$i/r.out" $(ref 1 "$i/ref-board.conf") ;;
		r0) pidns "$i/r0.out" $(ref 0 "$i/ref0-board.conf") ;;
		esac
		wait $bg
	}
	who="k r r0 f${before:+ kb}"
	loops0=$(losetup -a | wc -l)
	# One boot of each first, not measured: a device's first boot makes
	# its A/B record and the generations of etc and var once, and the
	# first run warms the page cache for the others.
	for w in $who; do run1 $w; done
	for w in $who; do : >"$i/$w.us"; done
	: >"$i/own.us"
	: >"$i/kbown.us"
	n=0 bad=0
	while [ $n -lt "$NINIT" ]; do # interleaved rounds, the order turned
		order=$who
		[ $((n % 2)) = 1 ] && order=$(echo "$who" | tr ' ' '\n' | sort -r)
		for w in $order; do run1 $w; done
		ok=1
		for w in $who; do
			u=$(stamps "$i/$w.out")
			[ -n "$u" ] || ok=
			case $w in r*) grep -q 'app exited status=0' "$i/$w.out" ||
				ok= ;;
			esac
		done
		ou=$(own "$i/k.out")
		bu=
		[ -n "$before" ] && { bu=$(own "$i/kb.out"); [ -n "$bu" ] || ok=; }
		if [ -z "$ok" ] || [ -z "$ou" ]; then
			bad=$((bad + 1))
			say "  run $n failed:"
			for w in $who; do tail -n 5 "$i/$w.out"; done | indent
			[ $bad -ge 2 ] && return
		else
			for w in $who; do stamps "$i/$w.out" >>"$i/$w.us"; done
			echo "$ou" >>"$i/own.us"
			[ -z "$bu" ] || echo "$bu" >>"$i/kbown.us"
		fi
		n=$((n + 1))
	done
	say "  keel-init, stamp to app (us):      $(tr '\n' ' ' <"$i/k.us")"
	say "  keel-init's own app: started (us): $(tr '\n' ' ' <"$i/own.us")"
	[ -n "$before" ] &&
		say "  earlier keel-init ($before): $(tr '\n' ' ' <"$i/kb.us")" &&
		say "  earlier keel-init's own app: started (us):" \
			"$(tr '\n' ' ' <"$i/kbown.us")"
	say "  busybox sh init, stamp to app (us): $(tr '\n' ' ' <"$i/r.us")"
	say "  same, mounting the file it hashed (us): $(tr '\n' ' ' <"$i/r0.us")"
	say "  harness floor, a stub as init (us): $(tr '\n' ' ' <"$i/f.us")"
	# each init's figure less the floor of its own round
	for w in k r; do
		paste "$i/$w.us" "$i/f.us" | awk '{ print $1 - $2 }' >"$i/$w-f.us"
	done
	say "  keel-init's last boot:"
	grep '^\[+' "$i/k.out" | indent
	say "  loop devices attached before/after: $loops0/$(losetup -a | wc -l)"
	k=$(nums <"$i/k.us") r=$(nums <"$i/r.us") w=$(nums <"$i/own.us")
	r0=$(nums <"$i/r0.us")
	kf=$(nums <"$i/k-f.us") rf=$(nums <"$i/r-f.us")
	if [ -n "$k" ] && [ -n "$r" ]; then
		row "init start->app, host full $PMIB MiB" \
			"$(calc "$(mean "$k") / 1000" "%.1f ms")" \
			"busybox sh init" "$(calc "$(mean "$r") / 1000" "%.1f ms")" \
			"$(ratios "$k" "$r")" ">= 10x" \
			"$(met "$(mean "$r") / $(mean "$k")" ">=" 10)"
		# keel-init's own clock (from its start) against the reference's
		# whole figure, harness included: flatters keel-init by the floor
		side_row "  (keel-init's own stamp)" "$w" "busybox sh init" "$r"
		side_row "  (vs the reference mounting its file)" "$k" \
			"busybox sh, no copy" "$r0"
		# like with like: both figures less the floor of their round
		# (the minimums' ratio of such differences means little)
		side_row "  (each less the harness floor)" "$kf" \
			"busybox sh init" "$rf"
	fi
	if [ -n "$before" ] && kb=$(nums <"$i/kb.us") && [ -n "$kb" ]; then
		side_row "  earlier keel-init, same rounds" "$kb" \
			"busybox sh init" "$r"
		side_row "  keel-init against the earlier one" "$k" \
			"earlier keel-init" "$kb"
		# each one's own clock, from its start to its "app: started":
		# the harness and the app's first output left out of both
		kbo=$(nums <"$i/kbown.us")
		[ -n "$kbo" ] && side_row "  (the same, each one's own stamp)" \
			"$w" "earlier keel-init" "$kbo"
	fi

	# RSS while the app runs: smaps_rollup of each init from outside
	hold_rss "$i/var" "$i/k.out" "$INIT" --test --board "$i/board.conf"
	krss=$held
	hold_rss "$i/ref-var" "$i/r.out" $(ref 1 "$i/ref-board.conf")
	rrss=$held
	say "  RSS/PSS KiB while the app runs: keel-init ${krss:-?}," \
		"busybox sh init ${rrss:-?}"
	if [ -n "$krss" ]; then
		kr=${krss% *}
		row "keel-init RSS, host" "$kr KiB (Pss ${krss#* })" \
			"busybox sh init" "${rrss%% *} KiB" \
			"$(calc "${rrss%% *}.0 / $kr" "%.2fx")" "<= 512 KiB" \
			"$(met "$kr" "<=" 512)"
	fi
}

# --- 3b. keel-init in QEMU, verity mode (issue 4) ------------------------
# at FILE PATTERN: µs stamp of keel-init's first console line matching
at() {
	sed -n "s/^\[+\([0-9]*\)\.\([0-9]*\)s\] keel: $2.*/\1\2/p" "$1" |
		head -n 1 | sed 's/^0*\([0-9]\)/\1/'
}

bench_qemu() {
	section "3b. keel-init in QEMU (verity mode, $PMIB MiB image)"
	if [ ! -f "$O/board/qemu-x86_64/vmlinux" ] ||
		! command -v qemu-system-x86_64 >/dev/null; then
		say "  no board or no QEMU (make O=$O board): not measured"
		row "init start->app, QEMU verity" "not measured" - - - - -
		return
	fi
	q=$WORK/qemu
	mkdir -p "$q"
	# the app prints keel-init's memory, seen through its /proc (reading
	# another process's smaps takes CAP_SYS_PTRACE)
	cat >"$q/cfg.json" <<'EOF2'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/busybox", "sh", "-c",
  "busybox grep -E '^(Rss|Pss):' /host/proc/1/smaps_rollup | busybox sed 's/^/bench: /'"],
  "cwd": "/", "env": ["PATH=/bin"],
  "capabilities": {"bounding": ["CAP_SYS_PTRACE"],
   "effective": ["CAP_SYS_PTRACE"], "permitted": ["CAP_SYS_PTRACE"]}},
 "root": {"path": "rootfs", "readonly": true},
 "mounts": [{"destination": "/host/proc", "type": "bind", "source": "/proc",
   "options": ["rbind", "ro"]}],
 "annotations": {"org.keel.restart": "no"}}
EOF2
	init_image "$q" qemu-x86_64 "$PMIB" busybox &&
		"$KEEL" disk --board qemu-x86_64 --slot-a "$q/a.img" \
			--slot-b "$q/a.img" -o "$q/disk" >/dev/null ||
		{ say "  image or disk failed: not measured"; return; }
	rm -rf "$q/root"
	: >"$q/app.us"
	: >"$q/after.us"
	: >"$q/rss"
	b=1
	while [ $b -le "$QBOOTS" ]; do
		t0=$(date +%s%N)
		"$KEEL" qemu "$q/disk" --timeout 90 \
			--append 'keel.on_app_exit=poweroff' >"$q/raw" 2>"$q/err"
		rc=$?
		wall=$((($(date +%s%N) - t0) / 1000000))
		tr -d '\r' <"$q/raw" >"$q/con$b"
		a=$(at "$q/con$b" 'app: started') m=$(at "$q/con$b" 'modules:')
		r=$(sed -n 's/^bench: Rss: *\([0-9]*\).*/\1/p' "$q/con$b")
		p=$(sed -n 's/^bench: Pss: *\([0-9]*\).*/\1/p' "$q/con$b")
		say "  boot $b: exit $rc, ${wall} ms wall; app: started at" \
			"${a:-?} us, modules done at ${m:-?} us; keel-init" \
			"Rss ${r:-?} KiB, Pss ${p:-?} KiB"
		if [ -n "$a" ] && [ -n "$m" ]; then
			echo "$a" >>"$q/app.us"
			echo $((a - m)) >>"$q/after.us"
		else
			tail -n 15 "$q/con$b" "$q/err" | indent
		fi
		[ -n "$r" ] && echo "$r $p" >>"$q/rss"
		b=$((b + 1))
	done
	say "  keel-init's lines of the last boot:"
	grep '^\[+' "$q/con$QBOOTS" | indent
	a=$(nums <"$q/app.us") m=$(nums <"$q/after.us")
	# keel-init's own clock; no peer boots in QEMU
	qms() { calc "$(mean "$1") / 1000" "%.1f ms"; }
	qmin() { calc "$(echo "$1" | cut -d' ' -f3) / 1000" "%.1f"; }
	if [ -n "$a" ]; then
		row "init start->app, QEMU verity" \
			"$(qms "$a") (min $(qmin "$a"))" - - - - -
		row "  same, after module loading" \
			"$(qms "$m") (min $(qmin "$m"))" - - - - -
	fi
	if [ -s "$q/rss" ]; then
		r=$(tail -n 1 "$q/rss")
		row "keel-init RSS, QEMU" "${r% *} KiB (Pss ${r#* })" - - - \
			"<= 512 KiB" "$(met "${r% *}" "<=" 512)"
	fi
}

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
