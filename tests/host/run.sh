#!/bin/sh
# SPDX-License-Identifier: MIT
# keel run: isolation seen from inside by the probe, persistence of /etc
# and /var/lib, failure paths that leave nothing behind, signals, orphans,
# and an image made from an OCI bundle (umoci).
OWN_MOUNT_NS=1 # leak_state: mounts of this test's own namespace
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
	"$KEEL" image build "$src" -o "$img" --board test-board --salt 0123456789abcdef "$@" \
		>"$WORK/build.out" 2>&1 &&
		"$KEEL" image sign "$img" --key "$KEY_A" >>"$WORK/build.out" 2>&1
}
# host state that no run may change: mount points and keel's loop
# devices (tests/lib.sh: other tests may run beside)
host_state() { leak_state; }
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
	grep -Ev '^/$|^/(proc|sys|dev|run|tmp|etc|var/(lib|log|cache|tmp))(/.*)?$')
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

# /var/log, /var/cache, /var/tmp: a bounded tmpfs each by default ...
for d in log cache tmp; do
	out=$("$KEEL" run "$IMG" $P -- /bin/probe write /var/$d/x y 2>/dev/null)
	same "/var/$d writable" "$(get write)" ok
done
out=$("$KEEL" run "$IMG" $P -- /bin/probe cat /var/log/x 2>/dev/null)
same "/var/log is a tmpfs by default" "$(get cat)" ENOENT
out=$("$KEEL" run "$IMG" $P -- /bin/probe cat /proc/self/mountinfo 2>/dev/null)
printf '%s\n' "$out" | grep -q ' /var/tmp .* tmpfs tmpfs rw,.*size=32768k' &&
	printf '%s\n' "$out" | grep ' /var/tmp ' | grep -q 'nosuid,nodev' &&
	pass "/var/tmp: tmpfs, 32 MiB, nosuid,nodev" ||
	fail "/var/tmp mount: $(printf '%s\n' "$out" | grep /var/tmp)"
# ... kept beside /var/lib where org.keel.persist names it
cat >"$WORK/persist.json" <<'JSON'
{"ociVersion": "1.0.2", "process": {"args": ["/bin/probe"], "cwd": "/"},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {"org.keel.persist": "log,tmp", "org.keel.restart": "no"}}
JSON
mkroot "$WORK/pers"
if mkimg "$WORK/pers" "$WORK/pers.img" --config "$WORK/persist.json"; then
	out=$("$KEEL" run "$WORK/pers.img" $P -- /bin/probe write /var/log/app.log line 2>/dev/null)
	same "persisted /var/log writable" "$(get write)" ok
	out=$("$KEEL" run "$WORK/pers.img" $P -- /bin/probe cat /var/log/app.log 2>/dev/null)
	same "/var/log persists with org.keel.persist" "$(get cat)" line
	same "it lives in the var dir's .keel-var/log" \
		"$(cat "$WORK/p/var/.keel-var/log/app.log")" line
	out=$("$KEEL" run "$WORK/pers.img" $P -- /bin/probe cat /proc/self/mountinfo 2>/dev/null)
	printf '%s\n' "$out" | grep ' /var/cache ' | grep -q tmpfs &&
		pass "an unnamed one stays a tmpfs" || fail "/var/cache not a tmpfs"
	rm -rf "$WORK/p/var/.keel-var/tmp" && ln -s / "$WORK/p/var/.keel-var/tmp"
	refuse "a symlink planted for a persisted dir is refused" "symlink" \
		"$KEEL" run "$WORK/pers.img" $P -- /bin/probe exit 0
	rm -f "$WORK/p/var/.keel-var/tmp"
else
	fail "build a persist image: $(tail -n 1 "$WORK/build.out")"
fi
"$KEEL" run "$IMG" -- /bin/probe write /etc/motd gone >/dev/null 2>&1
out=$("$KEEL" run "$IMG" -- /bin/probe cat /etc/motd 2>/dev/null)
same "without --etc nothing persists" "$(get cat)" factory

# --- /var/lib seeded from the image's own /var/lib on first use -----------
mkroot "$WORK/seed"
mkdir -p "$WORK/seed/var/lib/app/sub"
echo image-conf >"$WORK/seed/var/lib/app/conf"
echo deep >"$WORK/seed/var/lib/app/sub/file"
chmod 640 "$WORK/seed/var/lib/app/conf"
chown 123:45 "$WORK/seed/var/lib/app/sub/file"
ln -s /etc/motd "$WORK/seed/var/lib/app/link"
mkfifo "$WORK/seed/var/lib/app/fifo"
if mkimg "$WORK/seed" "$WORK/seed.img"; then
	S="--var $WORK/sv"
	out=$("$KEEL" run "$WORK/seed.img" -- /bin/probe cat /var/lib/app/conf 2>/dev/null)
	same "tmpfs /var/lib seeded" "$(get cat)" image-conf
	out=$("$KEEL" run "$WORK/seed.img" $S -- /bin/probe cat /var/lib/app/sub/file 2>/dev/null)
	same "an empty --var dir seeded" "$(get cat)" deep
	same "owner kept" "$(stat -c %u:%g "$WORK/sv/app/sub/file")" 123:45
	same "mode kept" "$(stat -c %a "$WORK/sv/app/conf")" 640
	same "a symlink copied as a link" "$(readlink "$WORK/sv/app/link")" /etc/motd
	[ -e "$WORK/sv/app/fifo" ] && fail "a fifo copied" || pass "a fifo skipped"
	[ -e "$WORK/sv/.keel-seeding" ] && fail "marker left" || pass "marker removed"
	"$KEEL" run "$WORK/seed.img" $S -- /bin/probe write /var/lib/app/conf mine >/dev/null 2>&1
	rm "$WORK/sv/app/sub/file"
	out=$("$KEEL" run "$WORK/seed.img" $S -- /bin/probe cat /var/lib/app/conf 2>/dev/null)
	same "the app's change is never overwritten" "$(get cat)" mine
	[ -e "$WORK/sv/app/sub/file" ] && fail "a non-empty var dir seeded again" ||
		pass "a non-empty var dir is not seeded again"
	# a power cut during the seed: the marker is there, the copy finishes
	# without overwriting what was copied (or changed) before
	mkdir -p "$WORK/sv2/app"
	echo half >"$WORK/sv2/app/conf"
	: >"$WORK/sv2/.keel-seeding"
	out=$("$KEEL" run "$WORK/seed.img" --var "$WORK/sv2" -- /bin/probe cat /var/lib/app/sub/file 2>/dev/null)
	same "an interrupted seed finishes" "$(get cat)" deep
	same "and overwrites nothing" "$(cat "$WORK/sv2/app/conf")" half
	# the app's symlink in a var dir is never followed by the seed
	mkdir -p "$WORK/sv3" "$WORK/outside"
	ln -s "$WORK/outside" "$WORK/sv3/app"
	: >"$WORK/sv3/.keel-seeding"
	"$KEEL" run "$WORK/seed.img" --var "$WORK/sv3" -- /bin/probe exit 0 >/dev/null 2>&1
	[ -z "$(ls "$WORK/outside")" ] && pass "a planted symlink is not followed" ||
		fail "seed wrote through a symlink: $(ls "$WORK/outside")"
else
	fail "build a seed image: $(tail -n 1 "$WORK/build.out")"
fi

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
	# keel image inspect: the launch policy in short, beside the header
	"$KEEL" image inspect "$WORK/userns.img" >"$WORK/insp" 2>&1
	grep -q '^root_hash=' "$WORK/insp" && pass "inspect: header fields" ||
		fail "inspect: no header: $(head -3 "$WORK/insp")"
	same "inspect: args" "$(sed -n 's/^policy.args=//p' "$WORK/insp")" /bin/probe
	same "inspect: user" "$(sed -n 's/^policy.user=//p' "$WORK/insp")" 0:0
	same "inspect: namespaces" \
		"$(sed -n 's/^policy.namespaces=//p' "$WORK/insp")" \
		mount,pid,uts,ipc,cgroup,network,user
	same "inspect: caps" \
		"$(sed -n 's/^policy.caps.bounding=//p' "$WORK/insp")" none
	same "inspect: restart" "$(sed -n 's/^policy.restart=//p' "$WORK/insp")" always
	cp "$WORK/userns.img" "$WORK/unsigned.img"
	"$KEEL" image build "$WORK/uid" -o "$WORK/unsigned.img" --board test-board \
		--config "$WORK/userns.json" >/dev/null 2>&1
	"$KEEL" image inspect "$WORK/unsigned.img" >"$WORK/insp" 2>&1
	grep -q '^policy=- (not read: an image is mounted only once it verifies' \
		"$WORK/insp" && pass "inspect: unsigned image not mounted" ||
		fail "inspect of an unsigned image: $(tail -2 "$WORK/insp")"
else
	fail "build a user namespace image: $(tail -n 1 "$WORK/build.out")"
fi
# CAP_SYS_PTRACE kept (no user namespace): pid 1 gets a copy of keel's
# memory instead of keel's own (lib/container/container.c, ctr_may_share)
cat >"$WORK/ptrace.json" <<'JSON'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/probe"], "cwd": "/",
  "capabilities": {"bounding": ["CAP_SYS_PTRACE"],
   "effective": ["CAP_SYS_PTRACE"], "permitted": ["CAP_SYS_PTRACE"]}},
 "root": {"path": "rootfs", "readonly": true}}
JSON
if mkimg "$WORK/uid" "$WORK/ptrace.img" --config "$WORK/ptrace.json"; then
	out=$("$KEEL" run "$WORK/ptrace.img" 2>/dev/null)
	same "CAP_SYS_PTRACE kept: the app runs" "$(get CapEff)" 0000000000080000
	same "CAP_SYS_PTRACE kept: pid 1 is the reaper" "$(get pid1_comm)" \
		keel-reaper
	"$KEEL" run "$WORK/ptrace.img" -- /bin/nope >/dev/null 2>&1
	same "CAP_SYS_PTRACE kept: exit status of a missing command" "$?" 127
else
	fail "build a CAP_SYS_PTRACE image: $(tail -n 1 "$WORK/build.out")"
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
