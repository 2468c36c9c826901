# SPDX-License-Identifier: MIT
# make bench's keel-init figures (tests/bench/run.sh sources this file):
# its boot to the app on the host (--test, full mode) against a busybox
# sh init, its RSS, and its boot in QEMU (verity mode).
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
	init_setup || return
	init_rounds || return
	init_report
	init_rss
}

# init_setup: the image, the boards of keel-init, the reference and an
# earlier keel-init (BENCH_INIT_BEFORE), in $i
init_setup() {
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
		{ say "  image build failed: not measured"; return 1; }
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
	# copy, like keel-init's private copy), hashes the copy and mounts the
	# copy, so neither init mounts bytes it did not check. "ref0" is the
	# reference that hashes the file and then mounts the file (a medium
	# can change its answer in between): shown for the earlier figures.
	bb=$(command -v busybox)
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
}

# ref REF-COPY BOARD: the reference's command line
ref() { echo "env -i PATH=$i/bb REF_COPY=$1 $bb sh $BENCH/ref-init.sh" \
	"$2 squashfs /bin/app --hold /var/lib/hold"; }

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

# init_rounds: NINIT interleaved rounds of every init in $who, each
# one's stamps in $i/WHO.us; fails after two bad rounds
init_rounds() {
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
			[ $bad -ge 2 ] && return 1
		else
			for w in $who; do stamps "$i/$w.out" >>"$i/$w.us"; done
			echo "$ou" >>"$i/own.us"
			[ -z "$bu" ] || echo "$bu" >>"$i/kbown.us"
		fi
		n=$((n + 1))
	done
}

# init_report: the rounds' figures and their rows
init_report() {
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
}

# init_rss: each init's RSS while its app runs
init_rss() {
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
