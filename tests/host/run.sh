#!/bin/sh
# SPDX-License-Identifier: MIT
# keel run: isolation seen from inside by the probe, persistence of /etc
# and /var/lib, failure paths that leave nothing behind, signals, orphans,
# and an image made from an OCI bundle (umoci).
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "keel run needs root (loop devices, mounts, namespaces)"
	finish
	exit
fi
if ! "$KEEL" image build --help >/dev/null 2>&1 ||
	! "$KEEL" run --help >/dev/null 2>&1; then
	skip "keel image build or keel run is missing from $KEEL"
	finish
	exit
fi

PROBE=$O/probe
if [ ! -x "$PROBE" ]; then
	PROBE=$WORK/probe
	musl-gcc -static -Os -Wno-format-truncation -I"$TOP" -o "$PROBE" "$TOP"/tests/probe/probe.c \
		"$TOP"/tests/probe/escape.c "$TOP"/tests/probe/escape_sys.c \
		"$TOP"/tests/probe/escape_proc.c ||
		{ fail "build the probe"; finish; exit; }
fi

# mkroot DIR: a root with the probe and the mount points keel needs
mkroot() {
	mkdir -p "$1/bin" "$1/proc" "$1/sys" "$1/dev" "$1/run" "$1/tmp" \
		"$1/etc" "$1/var/lib" "$1/srv"
	cp "$PROBE" "$1/bin/probe"
	echo factory >"$1/etc/motd"
	echo image >"$1/etc/issue"
}
# mkimg DIR IMG [build options]: build and sign
mkimg() {
	src=$1 img=$2
	shift 2
	"$KEEL" image build "$src" -o "$img" --salt 0123456789abcdef "$@" \
		>"$WORK/build.out" 2>&1 &&
		"$KEEL" image sign "$img" --key "$KEY_A" >>"$WORK/build.out" 2>&1
}
# host state that no run may change: mount points and loop devices
host_state() {
	awk '{print $5}' /proc/self/mountinfo | sort
	losetup -a | sort
}
# get KEY: the probe's answer in $out
get() { printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -n 1; }
# leaves CMD...: runs CMD, expects non-zero and that host_state is unchanged
leaves_nothing() {
	n=$1
	shift
	host_state >"$WORK/before"
	"$@" >/dev/null 2>&1
	host_state >"$WORK/after"
	if cmp -s "$WORK/before" "$WORK/after"; then
		pass "$n leaves no mount or loop device"
	else
		fail "$n leaves something behind"
		diff "$WORK/before" "$WORK/after" | sed 's/^/    /' | head
	fi
}

mkroot "$WORK/root"
IMG=$WORK/app.img
mkimg "$WORK/root" "$IMG" || { fail "build image"; cat "$WORK/build.out"; }
host_state >"$WORK/state0"

# --- isolation, from the inside --------------------------------------
out=$("$KEEL" run "$IMG" --hostname probe-box -- /bin/probe 2>"$WORK/err")
rc=$?
same "probe exit status" "$rc" 0
same "pid 1 is keel's reaper" "$(get pid1_comm)" keel-reaper
same "the reaper is the probe's parent" "$(get ppid)" 1
same "hostname" "$(get hostname)" probe-box
same "/ is read-only" "$(get root_write)" EROFS
same "only loopback" "$(get net)" lo
same "no host processes" "$(get nprocs)" 2
bad=$(get mounts | tr ',' '\n' |
	grep -Ev '^/$|^/(proc|sys|dev|run|tmp|etc|var/lib)(/.*)?$')
same "no host mounts" "$bad" ""
same "CapEff empty" "$(get CapEff)" 0000000000000000
same "CapBnd empty" "$(get CapBnd)" 0000000000000000
same "CapPrm empty" "$(get CapPrm)" 0000000000000000
same "NoNewPrivs" "$(get NoNewPrivs)" 1
same "Seccomp filter" "$(get Seccomp)" 2
for k in mount unshare_user init_module keyctl ptrace; do
	same "$k denied" "$(get $k)" EPERM
done
same "/dev nodes" "$(get dev)" \
	console,fd,full,null,ptmx,pts,random,shm,stderr,stdin,stdout,tty,urandom,zero
same "host block devices unreachable" "$(get blockdev)" unreachable
out=$("$KEEL" run "$IMG" -- /bin/probe cat /proc/1/status 200 2>/dev/null)
same "the reaper keeps only CAP_KILL once the app runs" \
	"$(printf '%s\n' "$out" | sed -n 's/^CapEff:[[:space:]]*//p')" 0000000000000020
grep -q "notice: no --etc" "$WORK/err" && pass "tmpfs /etc notice" ||
	fail "no notice for a tmpfs /etc"
same "host unchanged after a run" "$(host_state)" "$(cat "$WORK/state0")"

# --- persistence -------------------------------------------------------
P="--etc $WORK/p/etc --var $WORK/p/var"
out=$("$KEEL" run "$IMG" $P -- /bin/probe cat /etc/motd 2>/dev/null)
same "image /etc default visible" "$(get cat)" factory
out=$("$KEEL" run "$IMG" $P -- /bin/probe write /etc/motd local 2>/dev/null)
same "write /etc" "$(get write)" ok
out=$("$KEEL" run "$IMG" $P -- /bin/probe write /var/lib/data kept 2>/dev/null)
same "write /var/lib" "$(get write)" ok
out=$("$KEEL" run "$IMG" $P -- /bin/probe cat /etc/motd 2>/dev/null)
same "/etc change persists" "$(get cat)" local
out=$("$KEEL" run "$IMG" $P -- /bin/probe cat /etc/issue 2>/dev/null)
same "other /etc defaults still show" "$(get cat)" image
out=$("$KEEL" run "$IMG" $P -- /bin/probe cat /var/lib/data 2>/dev/null)
same "/var/lib persists" "$(get cat)" kept
same "changes land in the --etc dir" "$(cat "$WORK/p/etc/motd")" local
"$KEEL" run "$IMG" -- /bin/probe write /etc/motd gone >/dev/null 2>&1
out=$("$KEEL" run "$IMG" -- /bin/probe cat /etc/motd 2>/dev/null)
same "without --etc nothing persists" "$(get cat)" factory

# --- failure paths -------------------------------------------------------
cp "$IMG" "$WORK/bad.img"
printf 'X' | dd of="$WORK/bad.img" bs=1 seek=5000 conv=notrunc 2>/dev/null
refuse "tampered image refused" "keel: run: " "$KEEL" run "$WORK/bad.img" -- /bin/probe
leaves_nothing "tampered image" "$KEEL" run "$WORK/bad.img" -- /bin/probe
refuse "missing image" "No such file" "$KEEL" run "$WORK/nope.img" -- /bin/probe
leaves_nothing "missing image" "$KEEL" run "$WORK/nope.img" -- /bin/probe
refuse "no config and no command" "no /keel/config.json in IMAGE and no command given" \
	"$KEEL" run "$IMG"
leaves_nothing "no config" "$KEEL" run "$IMG"

"$KEEL" run "$IMG" -- /bin/nonexistent >/dev/null 2>"$WORK/err"
same "nonexistent command exits 127" "$?" 127
grep -q "exec" "$WORK/err" && pass "exec failure names the step" ||
	fail "exec failure message: $(cat "$WORK/err")"
leaves_nothing "nonexistent command" "$KEEL" run "$IMG" -- /bin/nonexistent
"$KEEL" run "$IMG" -- nonexistent >/dev/null 2>&1
same "command not in PATH exits 127" "$?" 127
"$KEEL" run "$IMG" -- /etc/motd >/dev/null 2>&1
same "non-executable command exits 126" "$?" 126
"$KEEL" run "$IMG" -- /bin/probe exit 7 >/dev/null 2>&1
same "app's exit status is keel's" "$?" 7

# a config with a field keel does not implement
mkroot "$WORK/unk"
mkdir -p "$WORK/unk/keel"
cat >"$WORK/unk.json" <<'JSON'
{"ociVersion": "1.0.2", "process": {"args": ["/bin/probe"], "cwd": "/"},
 "root": {"path": "rootfs", "readonly": true}, "hooks": {"prestart": []}}
JSON
if mkimg "$WORK/unk" "$WORK/unk.img" --config "$WORK/unk.json"; then
	refuse "unknown config field refused" "hooks" "$KEEL" run "$WORK/unk.img"
	leaves_nothing "unknown config field" "$KEEL" run "$WORK/unk.img"
else
	# the build checks the config too; keel run's own check on a root dir
	cp "$WORK/unk.json" "$WORK/unk/keel/config.json"
	refuse "unknown config field refused" "hooks" \
		"$KEEL" run --unverified-root-dir "$WORK/unk"
fi

# a uid the user namespace cannot map
cat >"$WORK/uid.json" <<'JSON'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/probe"], "cwd": "/", "user": {"uid": 4000000, "gid": 0}},
 "root": {"path": "rootfs", "readonly": true},
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"},
  {"type": "uts"}, {"type": "network"}, {"type": "user"}],
  "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
  "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}}
JSON
mkroot "$WORK/uid"
# the same user namespace with uid 0: container root is host uid 100000
sed 's/"uid": 4000000/"uid": 0/' "$WORK/uid.json" >"$WORK/userns.json"
if mkimg "$WORK/uid" "$WORK/userns.img" --config "$WORK/userns.json"; then
	out=$("$KEEL" run "$WORK/userns.img" 2>/dev/null)
	same "user namespace: root inside" "$(get uid)" 0
	same "user namespace: no capabilities" "$(get CapEff)" 0000000000000000
	same "user namespace: /dev nodes" "$(get dev)" \
		console,fd,full,null,ptmx,pts,random,shm,stderr,stdin,stdout,tty,urandom,zero
	out=$("$KEEL" run "$WORK/userns.img" -- /bin/probe cat /proc/self/uid_map 2>/dev/null)
	same "user namespace: mapped to 100000" \
		"$(get cat | awk '{print $1, $2, $3}')" "0 100000 65536"
else
	fail "build a user namespace image: $(tail -n 1 "$WORK/build.out")"
fi
if mkimg "$WORK/uid" "$WORK/uid.img" --config "$WORK/uid.json"; then
	"$KEEL" run "$WORK/uid.img" >/dev/null 2>"$WORK/err"
	rc=$?
	[ "$rc" != 0 ] && grep -q "keel: run: " "$WORK/err" &&
		pass "bad uid refused: $(head -c 120 "$WORK/err")" ||
		fail "bad uid: exit $rc: $(cat "$WORK/err")"
	leaves_nothing "bad uid" "$KEEL" run "$WORK/uid.img"
else
	pass "bad uid refused at build: $(tail -n 1 "$WORK/build.out")"
fi

# --- signals and orphans -------------------------------------------------
"$KEEL" run "$IMG" -- /bin/probe sleep 20 42 >"$WORK/sig" 2>/dev/null &
kp=$!
for i in $(seq 50); do grep -qs ready "$WORK/sig" && break; sleep 0.1; done
kill -USR1 $kp
sleep 0.2
kill -TERM $kp
wait $kp
same "TERM: the app's exit status is keel's" "$?" 42
grep -q "signal=10" "$WORK/sig" && pass "USR1 reaches the app" ||
	fail "USR1 not seen: $(cat "$WORK/sig")"
grep -q "signal=15" "$WORK/sig" && pass "TERM reaches the app" ||
	fail "TERM not seen: $(cat "$WORK/sig")"

"$KEEL" run "$IMG" -- /bin/probe sleep 30 0 >"$WORK/sig" 2>/dev/null &
kp=$!
for i in $(seq 50); do grep -qs ready "$WORK/sig" && break; sleep 0.1; done
kill -KILL $kp
wait $kp 2>/dev/null
sleep 0.5
left=$(ps -eo args | grep -c '^/bin/probe sleep 30')
same "the container dies with keel" "$left" 0
same "nothing left after SIGKILL" "$(host_state)" "$(cat "$WORK/state0")"
rmdir /tmp/keel-mnt.* 2>/dev/null

out=$("$KEEL" run "$IMG" -- /bin/probe orphans 1000 2>/dev/null)
same "1000 orphans: no zombie" "$(get zombies)" 0

# --- an OCI image through umoci ------------------------------------------
if command -v umoci >/dev/null 2>&1; then
	L=$WORK/oci
	mkroot "$WORK/layer"
	{
		umoci init --layout "$L" &&
			umoci new --image "$L:app" &&
			umoci unpack --image "$L:app" "$WORK/b0" &&
			cp -a "$WORK/layer/." "$WORK/b0/rootfs/" &&
			umoci repack --image "$L:app" "$WORK/b0" &&
			umoci config --image "$L:app" \
				--config.entrypoint /bin/probe \
				--config.env GREETING=hello-oci \
				--config.workingdir /srv &&
			umoci unpack --image "$L:app" "$WORK/bundle"
	} >"$WORK/umoci.out" 2>&1 || fail "umoci: $(tail -n 3 "$WORK/umoci.out")"
	if mkimg "$WORK/bundle" "$WORK/oci.img"; then
		out=$("$KEEL" run "$WORK/oci.img" 2>"$WORK/err")
		same "OCI entrypoint runs" "$(get pid1_comm)" keel-reaper
		same "OCI env" "$(get env.GREETING)" hello-oci
		same "OCI working directory" "$(get cwd)" /srv
	else
		fail "keel image build of an OCI bundle: $(tail -n 2 "$WORK/build.out")"
	fi
else
	skip "umoci not installed"
fi

same "host unchanged at the end" "$(host_state)" "$(cat "$WORK/state0")"
finish
