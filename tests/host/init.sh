# SPDX-License-Identifier: MIT
# keel-init as PID 1 of a pid namespace (--test): boot transcript, slots,
# persistence, fallback, halt, crash loop, shutdown, orphans, bad /var/lib.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../init_lib.sh"
if [ "$(id -u)" != 0 ] || ! command -v busybox >/dev/null; then
	skip "needs root and busybox-static"
	finish
	exit
fi
cd "$WORK" || exit 1

# An image whose app is a busybox shell script.
mkapp() { # name script [annotations-json]
	mkdir -p "$1/bin" "$1/etc"
	cp "$(command -v busybox)" "$1/bin/busybox"
	ln -sf busybox "$1/bin/sh"
	echo "hello from the image" >"$1/etc/greeting"
	echo "image default" >"$1/etc/local"
	script=$(printf '%s' "$2" | sed 's/["\\]/\\&/g')
	cat >"$1.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/sh", "-c", "$script"], "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {${3:-\"org.keel.restart\": \"no\"}}}
EOF
	"$KEEL" image build "$1" -o "$1.img" --board test-board --version "${VER:-1}" \
		--config "$1.json" --salt 42 >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		cp "$1.img" "$1-b.img"
}

# board file: slots A and B, etc and var as directories, full mode
mkboard() { # a b var
	board_write board.conf "$WORK/$1" "$WORK/$2" "$WORK/state" \
		"$WORK/etc" "$WORK/$3" "on_failure=${FAIL:-fallback}" \
		"on_app_exit=${EXIT:-poweroff}"
}

# boot [timeout]: runs keel-init, output in boot.out, transcript in t.log
boot() {
	timeout "${1:-30}" unshare --fork --pid --mount --propagation private -- \
		"$INIT" --test --board board.conf --transcript t.log >boot.out 2>&1
	echo $? >boot.rc
	cat boot.out >>all.out
	sed -e "s|$WORK|@|g" -e 's|/dev/loop[0-9]*|/dev/loopN|g' t.log >t.norm
}
has() { if grep -q -e "$2" boot.out; then pass "$1"; else fail "$1: no '$2'"; sed 's/^/    /' boot.out | tail -15; fi; }

mkdir -p etc var
echo "from before generations" >var/old-layout
echo x >state
mkapp app 'cat /etc/greeting; cat /etc/local; echo run >>/var/lib/runs; echo runs=$(busybox wc -l </var/lib/runs); echo changed >/etc/local'
cp app.img a.img
cp app.img b.img
mkboard a.img b.img var

# --- 1. boot to the app, and the exact transcript of what it asked for ----
boot
has "app ran" "hello from the image"
has "image /etc default shows" "image default"
has "app exit reported" "keel: app exited status=0"
same "poweroff ends the namespace (SIGINT)" "$(cat boot.rc)" 130
has "boot steps are timed" '\[+0\.[0-9]\{6\}s\] keel: boot: ready'
cat >expected <<'EOF'
mount devtmpfs /dev devtmpfs 0x2 mode=0755 = -1
mount proc /proc proc 0xe - = 0
mount sysfs /sys sysfs 0xe - = -1
mount tmpfs /run tmpfs 0x6 mode=0755 = 0
mount cgroup2 /sys/fs/cgroup cgroup2 0xe nsdelegate = 0
mount /dev/loopN /run/keel/image erofs 0x7 - = 0
mount @/etc /run/keel/etc - 0x1000 - = 0
mount @/var /run/keel/var - 0x1000 - = 0
kill all 9
umount /run/keel/var 0x0 = 0
umount /run/keel/etc 0x0 = 0
umount /run/keel/image 0x2 = 0
reboot 0x4321fedc
EOF
# devtmpfs and sysfs may or may not mount in a host's pid namespace
sed -e '/^mount devtmpfs/d' -e '/^mount sysfs/d' expected >e.norm
sed -e '/^mount devtmpfs/d' -e '/^mount sysfs/d' t.norm >t2.norm
if cmp -s e.norm t2.norm; then pass "boot transcript"; else
	fail "boot transcript"; diff e.norm t2.norm | sed 's/^/    /'; fi

[ "$(cat var/.keel-gen-1/old-layout 2>/dev/null)" = "from before generations" ] && [ ! -e var/old-layout ] &&
	pass "files from before the generations moved into the first" || fail "old layout not moved: $(ls -A var)"
[ -d var/.keel-init ] && [ "$(stat -c %a var/.keel-init)" = 700 ] && pass "keel-init's own dir, 0700" || fail "var/.keel-init: $(ls -ld var/.keel-init)"
# --- 2. persistence across boots ------------------------------------------
boot
has "/var/lib persists" "runs=2"
has "/etc change persists" "^app: changed"
same "/etc change landed in the etc partition (its generation 1)" \
	"$(cat etc/.keel-gen-1/upper/local)" changed
[ -e etc/.keel-gen-1/upper/greeting ] && fail "untouched /etc file copied up" || pass "only changes in the upper layer"
same "/var/lib is the var partition's generation 1" \
	"$(cat var/.keel-gen-1/runs | wc -l)" 2

# --- 3. a tampered slot A: B boots ---------------------------------------------
cp app.img bad.img
printf '\377' | dd of=bad.img bs=1 seek=5000 conv=notrunc 2>/dev/null
mkboard bad.img b.img var
boot
has "tampered A refused" "slot a: REFUSED: hash tree"
has "B booted" "slot b: whole image verified"
has "app ran from B" "hello from the image"
if grep -q 'mount /dev/loopN /run/keel/image' t.norm && [ "$(grep -c '/run/keel/image erofs' t.norm)" = 1 ]; then
	pass "only the good slot was mounted"; else fail "mounts: $(cat t.norm)"; fi

# --- 4. no good slot: halt with a message, never exit -----------------------
cp bad.img bad2.img
mkboard bad.img bad2.img var
boot 3
has "halted with the reason" "keel: halted: boot: no slot passed verification"
same "keel-init stays up when halted (timeout)" "$(cat boot.rc)" 124
grep -q '/run/keel/image' t.norm && fail "a bad image was mounted" || pass "nothing mounted from bad slots"

# --- 5. wrong board, older format: refused with the check named ------------
mkdir -p ob && cp -r app/. ob/
"$KEEL" image build ob -o ob.img --board other-board --config app.json --salt 42 >/dev/null
"$KEEL" image sign ob.img --key "$KEY_A" >/dev/null
mkboard ob.img b.img var
boot
has "wrong board refused" "slot a: REFUSED: board: image is for board 'other-board', this is 'test-board'"
"$KEEL" image build ob -o arm.img --board test-board --arch aarch64 --config app.json --salt 42 >/dev/null
"$KEEL" image sign arm.img --key "$KEY_A" >/dev/null
mkboard arm.img b.img var
boot
has "foreign architecture refused" "slot a: REFUSED: arch: image is for aarch64, this is x86_64"

# --- 6. crash loop: growing delays, then escalation --------------------------
mkapp crash 'echo crashing; exit 3' '"org.keel.restart": "always", "org.keel.restart-delay-ms": "10", "org.keel.restart-max-delay-ms": "80"'
EXIT=restart mkboard crash.img crash-b.img var
echo x >state # a new device: slot B is still there to fall back to
boot 30
has "restart after 10 ms" "app: restart 1 in 10 ms"
has "delay doubles" "app: restart 2 in 20 ms"
has "delay capped" "app: restart 5 in 80 ms"
has "crash loop escalates" "app: crash loop (10 restarts)"
has "then a reboot" "shutdown (app crash loop): reboot"
same "reboot ends the namespace (SIGHUP)" "$(cat boot.rc)" 129
boot 6 # slot A is marked bad: B, the fallback, crash-loops too
has "after the reboot: slot B" "booting b as fallback"
has "nothing left: halt" "keel: halted: app: crash loop on every slot"
same "halted, keel-init stays up (timeout)" "$(cat boot.rc)" 124

# --- 6b. a record that cannot be written: the boot goes on, but a crash
# loop whose mark cannot be recorded halts instead of rebooting into it
mkdir -p full
mount -t tmpfs -o size=64k tmpfs full
truncate -s 8192 full/state
dd if=/dev/zero of=full/fill bs=4096 status=none 2>/dev/null
EXIT=restart mkboard crash.img crash-b.img var
sed -i "s|^part.state=.*|part.state=$WORK/full/state|" board.conf
boot 6
has "a write that fails is tried again" \
	"state: write (boot), attempt 3 of 3: copy 0: No space left on device"
has "the committed slot boots all the same" "booting a as committed"
has "the crash loop escalates" "app: crash loop (10 restarts)"
has "its mark cannot be written: halted, not rebooted into the same slot" \
	"keel: halted: app: crash loop, and the record cannot say so"
same "halted, keel-init stays up (timeout)" "$(cat boot.rc)" 124
umount full

# --- 7. SIGTERM to PID 1: TERM to the app, clean unmount, power off ----------
mkapp sleeper 'trap "echo got TERM; exit 0" TERM; echo sleeping; while :; do sleep 0.1; done'
mkboard sleeper.img sleeper-b.img var
( timeout 30 unshare --fork --pid --mount --propagation private -- \
	"$INIT" --test --board board.conf --transcript t.log >boot.out 2>&1; echo $? >boot.rc ) &
for _ in $(seq 100); do grep -q sleeping boot.out 2>/dev/null && break; sleep 0.1; done
ipid=$(pgrep -f "^$INIT --test" | head -n 1)
kill -TERM "$ipid"
wait
has "app got TERM" "got TERM"
has "shutdown on SIGTERM" "shutdown (signal): power off"
grep -q '^umount /run/keel/var 0x0 = 0' t.log && pass "var unmounted cleanly" || fail "var unmount: $(cat t.log)"
same "power off (SIGINT)" "$(cat boot.rc)" 130

# --- 8. orphans leave no zombies --------------------------------------------------
mkapp orphans 'i=0; while [ $i -lt 300 ]; do (true &); i=$((i+1)); done; sleep 0.5; z=0; for s in /proc/[0-9]*/stat; do case "$(cat $s 2>/dev/null)" in *") Z "*) z=$((z+1));; esac; done; echo zombies=$z'
mkboard orphans.img orphans-b.img var
boot
has "no zombies after 300 orphans" "zombies=0"

# --- 9. unmountable /var/lib: never formatted, board policy followed ------------
head -c 1048576 /dev/urandom >garbage.var
cp garbage.var garbage.orig
mkboard a.img b.img garbage.var
boot
has "unmountable var reported" "cannot mount .*garbage.var as ext4"
has "tmpfs used, loudly" "WARNING: /var/lib is a tmpfs"
has "app still runs" "hello from the image"
cmp -s garbage.var garbage.orig && pass "var partition left untouched" || fail "var partition changed"

# --- 9b. a config at the documented maximum (OCI_JSON_MAX, 256 KiB) boots;
# one byte more is refused with the limit named. The image's own
# keel/config.json is used as it is (no canonical rewrite), padded with
# blanks, which JSON allows.
bigcfg() { # dir size
	mkdir -p "$1/bin" "$1/etc" "$1/keel" "$1/proc" "$1/sys" "$1/dev" \
		"$1/run" "$1/tmp" "$1/var/lib"
	cp "$(command -v busybox)" "$1/bin/busybox"
	ln -sf busybox "$1/bin/sh"
	echo "hello from the image" >"$1/etc/greeting"
	printf '%s' '{"ociVersion": "1.0.2", "process": {"args": ["/bin/sh", "-c", "echo big config ran"], "cwd": "/", "env": ["PATH=/bin"]}, "root": {"path": "rootfs", "readonly": true}, "annotations": {"org.keel.restart": "no"}}' >"$1/keel/config.json"
	pad=$(($2 - $(wc -c <"$1/keel/config.json")))
	head -c "$pad" /dev/zero | tr '\0' ' ' >>"$1/keel/config.json"
	"$KEEL" image build "$1" -o "$1.img" --board test-board --salt 42 \
		>/dev/null && "$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null
}
bigcfg big 262144
same "config of exactly 256 KiB" "$(wc -c <big/keel/config.json)" 262144
cp big.img big-b.img && mkboard big.img big-b.img var
boot
has "a config at the maximum boots" "big config ran"
bigcfg huge 262145
cp huge.img huge-b.img && mkboard huge.img huge-b.img var
boot 3
has "one byte more is refused" "REFUSED: config: /keel/config.json: over 262144 bytes"

# --- 9b'. an app with a network namespace of its own under keel-init:
# keel app makes it (lo up) while the container's child mounts, and the
# child joins it; the app sees lo and no interface of the host's.
mkapp ownnet 'echo links=$(busybox ls /sys/class/net); busybox ip link show lo'
sed -i 's|"root":|"linux": {"namespaces": [{"type": "network"}]},\n "root":|' ownnet.json
"$KEEL" image build ownnet -o ownnet.img --board test-board --config ownnet.json \
	--salt 42 >/dev/null && "$KEEL" image sign ownnet.img --key "$KEY_A" >/dev/null
cp ownnet.img ownnet-b.img && mkboard ownnet.img ownnet-b.img var
boot
has "an app with its own network namespace runs" "links=lo\$"
has "its loopback is up" "LOOPBACK,UP"

# --- 9c. the kernel command line: security keys refused, the board re-checked
mkboard a.img b.img var
KEEL_CMDLINE="keel.part.var=$WORK/etc keel.name=evil keel.disk.wait_ms=100" \
	boot
has "keel.part.var= refused" \
	"cmdline: keel.part.var=$WORK/etc: REFUSED: part.var is a security key"
has "keel.name= refused" "cmdline: keel.name=evil: REFUSED: name is a security key"
has "a free key applies" "cmdline: keel.disk.wait_ms=100\$"
has "the board's name stays" "keel: board test-board"
has "var is still var" "disk: var $WORK/var $WORK/var"
has "the app ran" "hello from the image"
echo "cmdline=part.var" >>board.conf # the board allows this one
KEEL_CMDLINE="keel.part.var=$WORK/etc keel.disk.wait_ms=100" boot
has "allowed, but two roles on one partition: every override ignored" \
	"cmdline: REFUSED: with its overrides the board breaks a rule (part.etc and part.var are both"
has "var is still var after the re-check" "disk: var $WORK/var $WORK/var"
has "the app ran after the re-check" "hello from the image"

# --- 9c'. a path over 127 bytes in the board file: the boot halts, and
# the reason names the board file, the line and the key
mkboard a.img b.img var
sed -i "s|^part.var=.*|part.var=/$(printf '%0127d' 0)|" board.conf
boot 5
has "an over-long partition path halts, naming the board file" \
	"halted: board: board.conf: line 7: part.var: longer than 127 bytes"
grep -q "hello from the image" boot.out &&
	fail "a refused board file ran the app" || pass "no app after the refusal"

# --- 9d. the old layout of a persistent partition (the app's tree at its
# root) becomes generation 1 at the first boot, a cut move resumed
mkdir -p legacy/sub legacy/.keel-migrating
printf 'run\nrun\nrun\n' >legacy/runs
echo moved-before-a-cut >legacy/.keel-migrating/early
echo deep >legacy/sub/file
chmod 0750 legacy
mkboard a.img b.img legacy
boot
has "the old layout moved" "/run/keel/var: the old layout moved into .keel-gen-1"
has "the app sees its old /var/lib" "runs=4"
same "the root holds only generation 1 (and keel-init's own)" \
	"$(ls -A legacy | grep -vx .keel-init)" ".keel-gen-1"
same "what a cut move had moved is there too" \
	"$(cat legacy/.keel-gen-1/early)" moved-before-a-cut
same "and the tree below" "$(cat legacy/.keel-gen-1/sub/file)" deep
same "the root's mode kept" "$(stat -c %a legacy/.keel-gen-1)" 750

# --- 10. PID 1 never allocated (its allocator refuses and says so) ---------
cat boot.out >>all.out
grep -q 'BUG: heap allocation' all.out && fail "keel-init tried to allocate" ||
	pass "no heap allocation in any boot"

finish
