#!/bin/sh
# SPDX-License-Identifier: MIT
# The escape suite under keel run: the probe's escape mode (one line per
# known way out of a container) inside the container, on a terminal, under
# the default policy (no config), the demo's policy (uid 0, CAP_NET_ADMIN,
# CAP_NET_BIND_SERVICE, no user or net namespace) and Docker's default
# capability set (also under a caller that refuses clone3); every class
# must be refused. The demo's policy also binds a directory of --var,
# which the app replaces with a symlink to /.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "keel run needs root (loop devices, mounts, namespaces)"
	finish
	exit
fi
PROBE=${PROBE:-$O/probe}
if [ ! -x "$KEEL" ] || ! "$PROBE" escape --bad 2>&1 | grep -q "bad arg"; then
	fail "no $KEEL or no probe with an escape mode at $PROBE"
	finish
	exit
fi
if ! command -v script >/dev/null; then
	fail "script(1) (util-linux) is needed to give keel a terminal"
	finish
	exit
fi

# n/a is accepted only for these classes, and only where it is a fact of
# the place: keel run binds no /run/keel, and only the demo's policy
# here has a config bind to plant a symlink in.
NA_HOST="run_keel"
NA_NOBIND="bind_symlink"
# and for files this host's kernel does not have (the board's has them)
[ -e /proc/sysrq-trigger ] || NA_HOST="$NA_HOST sysrq"
[ -e /proc/irq/default_smp_affinity ] || NA_HOST="$NA_HOST proc_irq"
[ -d /proc/bus ] || NA_HOST="$NA_HOST proc_bus"

mkroot() {
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/run" "$1/tmp" \
		"$1/etc" "$1/var/lib" "$1/srv" "$1/keel"
	cp "$PROBE" "$1/bin/probe"
	cp "$PROBE" "$1/bin/probe-suid"
	chown 0:0 "$1/bin/probe-suid"
	chmod 4755 "$1/bin/probe-suid"
}
mkimg() { # DIR IMG [build options]
	src=$1 img=$2
	shift 2
	"$KEEL" image build "$src" -o "$img" --board test-board --salt 0123456789abcdef "$@" \
		>"$WORK/build.out" 2>&1 &&
		"$KEEL" image sign "$img" --key "$KEY_A" >>"$WORK/build.out" 2>&1
}
# run NAME KEEL-RUN-ARGS...: keel run on a terminal of its own (script),
# holding a descriptor of a host file (fd 7) as a careless caller might;
# the probe's lines in $WORK/NAME.out, the exit status in $rc
run() {
	n=$1
	shift
	script -qec "$KEEL run $*" /dev/null </dev/null >"$WORK/$n.raw" 2>&1 \
		7<"$WORK/secret/flag"
	rc=$?
	tr -d '\r' <"$WORK/$n.raw" >"$WORK/$n.out"
}
mkdir -p "$WORK/var/shared" "$WORK/secret"
echo "host only" >"$WORK/secret/flag"
mkroot "$WORK/root"
mkimg "$WORK/root" "$WORK/default.img" ||
	{ fail "build image: $(tail -n 2 "$WORK/build.out")"; finish; exit; }

# --- the default policy: an image without a config ---------------------
run default "$WORK/default.img" -- /bin/probe escape
escape_judge host default "$WORK/default.out" "$NA_HOST $NA_NOBIND"

# --- the demo's policy, with a bind of --var/shared at /srv -------------
sed -e 's|"args": \["/usr/sbin/keel-demo"\]|"args": ["/bin/probe"]|' \
	-e "s|\"hostname\": \"keel-demo\",|&\n\t\"mounts\": [{\"destination\": \"/srv\", \"type\": \"bind\", \"source\": \"$WORK/var/shared\", \"options\": [\"rbind\"]}],|" \
	"$TOP/demo/config.json" >"$WORK/demo.json"
grep -q '"/bin/probe"' "$WORK/demo.json" && grep -q '"/srv"' "$WORK/demo.json" ||
	fail "demo config: the args or the bind were not replaced"
mkroot "$WORK/demo"
if mkimg "$WORK/demo" "$WORK/demo.img" --config "$WORK/demo.json"; then
	LOOK="--look /srv$WORK/secret/flag"
	run demo "$WORK/demo.img" --var "$WORK/var" -- /bin/probe escape \
		$LOOK --plant /var/lib/shared
	escape_judge host demo "$WORK/demo.out" "$NA_HOST $NA_NOBIND"
	if [ -L "$WORK/var/shared" ]; then
		pass "demo: the app planted var/shared -> $(readlink "$WORK/var/shared")"
	else
		fail "demo: no symlink planted in the bind source"
	fi
	# the next start: keel must refuse the symlinked source, or the
	# probe must not see the host through it
	run demo2 "$WORK/demo.img" --var "$WORK/var" -- /bin/probe escape $LOOK
	if grep -q 'escape bind_symlink=' "$WORK/demo2.out"; then
		l=$(grep -o 'escape bind_symlink=.*' "$WORK/demo2.out")
	elif [ "$rc" = 125 ] && grep -q 'symlink' "$WORK/demo2.out"; then
		l="escape bind_symlink=refused $(grep 'keel: ' "$WORK/demo2.out" |
			tail -n 1)"
	else
		l="escape bind_symlink=ESCAPED no probe answer, exit $rc"
	fi
	echo "escape-table host demo bind_symlink ${l#escape bind_symlink=}"
	case $l in
	*=refused*) pass "demo: the symlinked bind source refused: ${l#*refused }" ;;
	*)
		fail "demo: ${l#escape }"
		sed 's/^/    /' "$WORK/demo2.out" | tail -n 4
		;;
	esac
else
	fail "build the demo-policy image: $(tail -n 2 "$WORK/build.out")"
fi

# --- Docker's default capabilities (without CAP_NET_RAW) ----------------
mkroot "$WORK/docker"
if mkimg "$WORK/docker" "$WORK/docker.img" \
	--config "$TOP/tests/probe/docker.json"; then
	run docker "$WORK/docker.img" -- /bin/probe escape
	escape_judge host docker "$WORK/docker.out" "$NA_HOST $NA_NOBIND"
	# The same where keel's caller refuses clone3 (a seccomp profile, a
	# kernel before 5.3): the child is not born in its cgroup (clone3
	# CLONE_INTO_CGROUP) but moved there (cgroup.procs) before its go,
	# and the device program CAP_MKNOD needs holds all the same.
	if musl-gcc -static -Os -Wall -Wextra -Werror -I"$TOP" -I"$TOP/compat" \
		-o "$WORK/noclone3" "$TOP/tests/host/noclone3.c" \
		>"$WORK/noclone3.out" 2>&1; then
		k=$KEEL
		KEEL="$WORK/noclone3 $k"
		run docker-noclone3 "$WORK/docker.img" -- /bin/probe escape
		KEEL=$k
		escape_judge host docker-noclone3 "$WORK/docker-noclone3.out" \
			"$NA_HOST $NA_NOBIND"
	else
		fail "tests/host/noclone3.c: $(tail -n 2 "$WORK/noclone3.out")"
	fi
else
	fail "build the Docker-policy image: $(tail -n 2 "$WORK/build.out")"
fi
finish
