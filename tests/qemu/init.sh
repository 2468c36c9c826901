#!/bin/sh
# SPDX-License-Identifier: MIT
# keel-init end to end under QEMU: a signed image booted with dm-verity,
# the app in its namespaces and cgroup, /etc and /var/lib across reboots,
# tampered slots (a block read just before the app exits marks the slot
# bad; a corrupted directory block of config.json is named), a crash loop,
# ctrl-alt-del, orphans, a garbage /var/lib, a second disk carrying a
# board partition, security keys refused on the command line.
. "$(dirname "$0")/../lib.sh"

if ! command -v "$QEMU_SYSTEM" >/dev/null; then
	skip "QEMU is not installed: the QEMU tier did not run"
	finish
	exit 0
fi
need_board_and_busybox
cd "$WORK" || exit 1
t_start=$(date +%s)

# --- the image: a busybox userland whose script /bin/qt does what the ---
# --- kernel command line's qt.mode= says and prints "qt: key=value" ---
mkdir -p root/bin root/etc root/data root/host/proc
cp "$BUSYBOX" root/bin/busybox
for a in $($TRUN root/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "root/bin/$a"
done
echo "shipped by the image" >root/etc/greeting
mkdir -p root/var/lib/seed
echo "from the image" >root/var/lib/seed/file
echo "image default" >root/etc/local
# read only by mode=tamper: incompressible, so stored as it is
head -c 300000 /dev/urandom | base64 -w 76 >root/data/blob
cat >root/bin/qt <<'EOF'
#!/bin/sh
mode=$(sed -n 's/.*qt\.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
say() { echo "qt: $*"; }
zombies() {
	z=0
	for s in /proc/[0-9]*/stat; do
		case "$(cat "$s" 2>/dev/null)" in *") Z "*) z=$((z + 1)) ;; esac
	done
	echo $z
}
say "mode=$mode"
say "local=$(cat /etc/local)"
say "runs=$(cat /var/lib/runs 2>/dev/null | wc -l)"
case $mode in
probe)
	say "hostname=$(hostname)"
	say "comm1=$(cat /proc/1/comm)"
	say "pid=$$"
	say "root=$(awk '$5 == "/"' /proc/self/mountinfo)"
	dev=$(awk '$5 == "/" { print $3 }' /proc/self/mountinfo)
	say "rootdm=$(cat /sys/dev/block/$dev/dm/name)"
	say "rootdev=$(basename "$(readlink /sys/dev/block/$dev)")"
	say "rootwrite=$(touch /x 2>&1)"
	for n in mnt pid uts ipc cgroup net; do
		if [ "$(readlink /proc/self/ns/$n)" = \
		     "$(readlink /host/proc/1/ns/$n)" ]; then
			say "ns.$n=shared"
		else
			say "ns.$n=own"
		fi
	done
	say "capbnd=$(sed -n 's/^CapBnd:\t//p' /proc/self/status)"
	say "nnp=$(sed -n 's/^NoNewPrivs:\t//p' /proc/self/status)"
	say "greeting=$(cat /etc/greeting)"
	# keel's client, bound read-only by keel-init: no copy in the image
	/run/keel/bin/keel status >/tmp/st 2>&1
	say "client=$? $(grep -c '^commit_pending=' /tmp/st)"
	say "client.out=$(head -n 1 /tmp/st)"
	say "clientw=$(echo x 2>&1 >/run/keel/bin/keel | grep -c Read-only)"
	# stock software's /var: writable, and /var/lib seeded from the image
	say "varlog=$(echo ok >/var/log/t && cat /var/log/t)"
	say "seeded=$(cat /var/lib/seed/file)"
	echo changed >/etc/local
	echo run >>/var/lib/runs
	# 300 orphans: each (: &) leaves a child behind for the reaper
	i=0
	while [ $i -lt 300 ]; do (: &); i=$((i + 1)); done
	sleep 1
	say "zombies.orphans=$(zombies)"
	# cgroup: pids.max 128, memory.max 32 MiB
	say "cgroup=$(cat /proc/self/cgroup)"
	say "memory.max=$(cat /sys/fs/cgroup/memory.max)"
	say "pids.max=$(cat /sys/fs/cgroup/pids.max)"
	(i=0; while [ $i -lt 140 ]; do sleep 30 & i=$((i + 1)); done) \
		2>/tmp/fork.err
	say "pids.current=$(cat /sys/fs/cgroup/pids.current)"
	say "pids.events=$(cat /sys/fs/cgroup/pids.events)"
	say "forkerr=$(head -n 1 /tmp/fork.err)"
	killall sleep
	sleep 1
	say "zombies.killed=$(zombies)"
	dd if=/dev/zero of=/dev/null bs=48M count=1 2>/dev/null
	say "dd=$?"
	say "oom=$(sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory.events)"
	# keel-init itself, seen through its /proc bound at /host/proc
	say "init.comm=$(cat /host/proc/1/comm)"
	say "init.rss=$(awk '/^Rss:/ { print $2 }' /host/proc/1/smaps_rollup)"
	say "init.pss=$(awk '/^Pss:/ { print $2 }' /host/proc/1/smaps_rollup)"
	;;
cad)
	echo run >>/var/lib/runs
	trap 'say got TERM; exit 0' TERM
	say sleeping
	while :; do sleep 0.1; done
	;;
tamper)
	say "config=$(head -c 1 /keel/config.json)"
	cat /data/blob >/dev/null 2>/tmp/cat.err
	say "cat=$? $(cat /tmp/cat.err)"
	# and exits at once: keel-init's once-a-second poll has not run
	;;
crash)
	exit 1
	;;
esac
exit 0
EOF
chmod 755 root/bin/qt
cat >cfg.json <<'EOF'
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/sh", "/bin/qt"], "cwd": "/", "env": ["PATH=/bin"],
  "capabilities": {"bounding": ["CAP_SYS_PTRACE"],
   "effective": ["CAP_SYS_PTRACE"], "permitted": ["CAP_SYS_PTRACE"]}},
 "root": {"path": "rootfs", "readonly": true},
 "hostname": "keel-qt",
 "mounts": [
  {"destination": "/sys/fs/cgroup", "type": "cgroup2", "source": "cgroup",
   "options": ["ro", "nosuid", "noexec", "nodev"]},
  {"destination": "/host/proc", "type": "bind", "source": "/proc",
   "options": ["rbind", "ro"]}],
 "linux": {"resources": {"memory": {"limit": 33554432},
  "pids": {"limit": 128}}},
 "annotations": {"org.keel.restart": "always",
  "org.keel.restart-delay-ms": "10", "org.keel.restart-max-delay-ms": "80",
  "org.keel.stop-grace-ms": "3000"}}
EOF
check "image build" "$KEEL" image build root -o a.img --board "$BOARD" \
	--config cfg.json --salt 42
check "image sign" "$KEEL" image sign a.img --key "$KEY_A"
check "disk" "$KEEL" disk --board "$BOARD" --slot-a a.img --slot-b a.img \
	-o pristine.disk

# Byte offsets of the image's metadata, of /data/blob and of the inode of
# /keel (its directory entries inline: the name config.json) inside a slot,
# and of the partitions inside the disk.
meta=$("$KEEL" image inspect a.img | sed -n 's/^meta_offset=//p')
blob=$(grep -obUa -- "$(head -c 60 root/data/blob)" a.img | cut -d: -f1)
mblk=$(dump.erofs -s a.img |
	sed -n 's/^Filesystem inode metadata start block: *//p')
knid=$(dump.erofs --path=/keel a.img | sed -n 's/^NID: \([0-9]*\).*/\1/p')
cfgname=$((${mblk:-0} * 4096 + ${knid:-0} * 32 + 64))
part() { partx -g -o START,NAME pristine.disk | awk -v n="$1" \
	'$2 == n { print $1 * 512 }'; }
pa=$(part keel-a) pb=$(part keel-b) pe=$(part keel-etc) pv=$(part keel-var)
if [ -z "$meta" ] || [ -z "$blob" ] || [ -z "$pa" ] || [ -z "$pv" ] ||
	[ "${cfgname:-0}" -lt 4096 ]; then
	fail "offsets: meta=$meta blob=$blob config.json=$cfgname a=$pa" \
		"b=$pb etc=$pe var=$pv"
	finish
	exit 1
fi
pass "offsets found (meta $meta, blob $blob, partitions $pa $pb $pe $pv)"

newdisk() { cp --sparse=always pristine.disk "$1"; }
# flip FILE OFFSET: invert one byte in place
flip() {
	b=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 |
		tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf %03o $((b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# boot NAME DISK APPEND [keel qemu args]: console in NAME.con, exit in $rc
boot() {
	n=$1 d=$2 a=$3
	shift 3
	b0=$(date +%s%N)
	"$KEEL" qemu --board "$BOARD" "$d" --timeout $((60 * SLOW)) \
		--append "$a" "$@" >"$n.raw" 2>"$n.err"
	rc=$?
	tr -d '\r' <"$n.raw" >"$n.con"
	echo "init: boot $n: exit $rc, $((($(date +%s%N) - b0) / 1000000)) ms"
}
# has NAME DESC PATTERN / hasnt NAME DESC PATTERN: grep the console
CON_APP='^app: qt:'
has() { con_has "$@"; }
hasnt() { con_hasnt "$@"; }
# val NAME KEY: what the app printed as "qt: KEY=..."
val() { sed -n "s/^app: qt: $2=//p" "$1.con" | head -n 1; }
# at NAME PATTERN: the µs stamp of keel-init's first line matching PATTERN
at() {
	sed -n "s/^\[+\([0-9]*\)\.\([0-9]*\)s\] keel: $2.*/\1\2/p" "$1.con" |
		head -n 1 | sed 's/^0*\([0-9]\)/\1/'
}

# --- 1. boot to the app (verity mode) -----------------------------------
# (keel.part.var= on the command line: a security key, refused)
newdisk main.disk
boot probe main.disk \
	'keel.on_app_exit=poweroff keel.part.var=keel-etc qt.mode=probe'
same "probe: app exit 0 reported, device powered off" "$rc" 0
has probe "keel.part.var= refused on the command line" \
	'cmdline: keel.part.var=keel-etc: REFUSED: part.var is a security key'
has probe "var is still the board's keel-var" \
	'disk: var keel-var /dev/keel/keel-var on vda5'
has probe "every board partition on one disk: vda" \
	'disk: state keel-state /dev/keel/keel-state on vda3'
has probe "boot stages are timed" '^\[+[0-9]*\.[0-9]\{6\}s\] keel: modules:'
has probe "slot A header verified" \
	'^\[+[0-9.]*s\] keel: slot a: header verified, mounting /dev/keel/verity-a'
has probe "ready before the app" '^\[+[0-9.]*s\] keel: boot: ready'
has probe "app start is timed" '^\[+[0-9.]*s\] keel: app: started'
same "hostname from the config" "$(val probe hostname)" keel-qt
same "the app is not PID 1: keel's reaper is" "$(val probe comm1)" keel-reaper
same "the app is PID 2 of its namespace" "$(val probe pid)" 2
root=$(val probe root)
case "$root" in
*" / / ro,"*" - erofs /dev/keel/verity-a "*)
	pass "/ is the read-only erofs on /dev/keel/verity-a" ;;
*) fail "/ mount: '$root'" ;;
esac
same "/ is device-mapper's keel-a" "$(val probe rootdm)" keel-a
case "$(val probe rootdev)" in
dm-[0-9]*) pass "/ is /dev/dm-N ($(val probe rootdev))" ;;
*) fail "/ device: '$(val probe rootdev)'" ;;
esac
case "$(val probe rootwrite)" in
*"Read-only file system"*) pass "/ refuses writes" ;;
*) fail "write to /: '$(val probe rootwrite)'" ;;
esac
for n in mnt pid uts ipc cgroup; do
	same "own $n namespace" "$(val probe "ns.$n")" own
done
same "network shared (not in the config)" "$(val probe ns.net)" shared
same "bounding set: CAP_SYS_PTRACE only" "$(val probe capbnd)" \
	0000000000080000
same "no_new_privs" "$(val probe nnp)" 1

# --- 7. orphans leave no zombies ------------------------------------------
same "no zombies after 300 orphans" "$(val probe zombies.orphans)" 0
same "no zombies after the sleepers are killed at once" \
	"$(val probe zombies.killed)" 0

# --- cgroup v2 limits -------------------------------------------------------
same "the app sits at the root of its cgroup namespace" \
	"$(val probe cgroup)" "0::/"
same "memory.max from linux.resources" "$(val probe memory.max)" 33554432
same "pids.max from linux.resources" "$(val probe pids.max)" 128
same "forks stop at pids.max" "$(val probe pids.current)" 128
case "$(val probe pids.events)" in
"max "[1-9]*) pass "pids.events counts refused forks" ;;
*) fail "pids.events: '$(val probe pids.events)'" ;;
esac
case "$(val probe forkerr)" in
*"Resource temporarily unavailable"*) pass "fork beyond pids.max: EAGAIN" ;;
*) fail "fork error: '$(val probe forkerr)'" ;;
esac
same "48 MiB under memory.max 32 MiB: OOM-killed" "$(val probe dd)" 137
same "memory.events counts the OOM kill" "$(val probe oom)" 1
same "keel-init's /proc seen by the app" "$(val probe init.comm)" init
rss=$(val probe init.rss)
if [ -n "$rss" ] && [ "$rss" -le 512 ]; then
	pass "keel-init RSS while supervising: $rss KiB (<= 512)"
else
	fail "keel-init RSS while supervising: '$rss' KiB (> 512)"
fi
t_verity=$(at probe 'app: started') m_verity=$(at probe 'modules:')

# --- 6. clean shutdown: app exit -> power off; ctrl-alt-del -> reboot -----
has probe "keel client at /run/keel/bin/keel" '^app: qt: client=0 1$'
has probe "the client is read-only" '^app: qt: clientw=1$'
has probe "/var/log writable" '^app: qt: varlog=ok$'
has probe "/var/lib seeded from the image" '^app: qt: seeded=from the image$'
has probe "app exit reported" 'keel: app exited status=0'
has probe "power off when the app ended" 'shutdown (the app ended): power off'
has probe "shutdown completes" 'keel: shutdown: done'
# ctrl-alt-del (SIGINT to PID 1) through QEMU's monitor on a pipe
mkfifo mon.in mon.out
("$KEEL" qemu --board "$BOARD" main.disk --timeout $((60 * SLOW)) \
	--append 'qt.mode=cad loglevel=7' \
	-- -chardev pipe,id=mon0,path="$WORK/mon" -mon chardev=mon0 \
	>cad.raw 2>cad.err; echo $? >cad.rc) &
qpid=$!
for _ in $(seq $((600 * SLOW))); do
	grep -q 'qt: sleeping' cad.raw 2>/dev/null && break
	kill -0 "$qpid" 2>/dev/null || break
	sleep 0.1
done
if grep -q 'qt: sleeping' cad.raw && kill -0 "$qpid" 2>/dev/null; then
	timeout 5 sh -c 'echo "sendkey ctrl-alt-delete" >mon.in'
fi
wait "$qpid"
rc=$(cat cad.rc)
tr -d '\r' <cad.raw >cad.con
echo "init: boot cad: exit $rc"
has cad "after a power off: /var/lib kept" '^app: qt: runs=1$'
has cad "after a power off: /etc change kept" '^app: qt: local=changed$'
EXT4_MOUNTED='EXT4-fs (vd[a-z]*[0-9]): mounted'
EXT4_UNCLEAN='EXT4-fs.*\(recovery\|orphan\|error\|fsck\)'
has cad "kernel log level 7 shows ext4 mounts" "$EXT4_MOUNTED"
hasnt cad "after a power off: no ext4 recovery" "$EXT4_UNCLEAN"
has cad "keel-init's log also in the kernel log (/dev/kmsg), all of it" \
	'^\[ *[0-9.]*\] \[+[0-9.]*s\] keel: app: started'
has cad "ctrl-alt-del: shutdown" 'shutdown (signal): reboot'
has cad "the app got TERM" '^app: qt: got TERM'
hasnt cad "the app left within the grace period" 'still running after'
has cad "shutdown completes after ctrl-alt-del" 'keel: shutdown: done'
has cad "ext4 unmounted at shutdown" 'EXT4-fs (vd[a-z]*[0-9]): unmounting'
same "reboot without an app status: keel qemu 125" "$rc" 125
s0=$(at cad 'shutdown (signal)') s1=$(at cad 'shutdown: done')
if [ -n "$s0" ] && [ -n "$s1" ] && [ $((s1 - s0)) -lt 3000000 ]; then
	pass "ctrl-alt-del to shutdown done: $(((s1 - s0) / 1000)) ms (< grace)"
else
	fail "ctrl-alt-del to shutdown done: '$s0' .. '$s1'"
fi

# --- 2. persistence across the ctrl-alt-del reboot ---------------------------
boot persist main.disk 'keel.on_app_exit=poweroff qt.mode=persist loglevel=7'
same "persist: app exit 0" "$rc" 0
has persist "/var/lib kept across two boots" '^app: qt: runs=2$'
has persist "/etc change kept" '^app: qt: local=changed$'
has persist "ext4 mounted again" "$EXT4_MOUNTED"
hasnt persist "after ctrl-alt-del: no ext4 recovery" "$EXT4_UNCLEAN"
same "first boot saw the image's /etc file" "$(val probe local)" \
	"image default"
same "image /etc file shows through the overlay" "$(val probe greeting)" \
	"shipped by the image"

# --- 3. tamper: a data byte (dm-verity), a header byte (fallback, halt) ------
newdisk tamper.disk
flip tamper.disk $((pa + blob + 1000))
boot tamper tamper.disk 'keel.on_app_exit=poweroff qt.mode=tamper'
same "tampered data: the app runs (the header is good)" "$rc" 0
same "tampered data: other files read" "$(val tamper config)" "{"
case "$(val tamper cat)" in
"1 "*"I/O error"* | *"Input/output error"*)
	pass "tampered block: EIO, not served" ;;
*) fail "reading the tampered file: '$(val tamper cat)'" ;;
esac
has tamper "dm-verity names the block" 'verity.*data block [0-9]* is corrupted'
kblock=$(sed -n 's/.*verity.*: data block \([0-9]*\) is corrupted.*/\1/p' \
	tamper.con | head -n 1)
has tamper "the read before the exit marks slot a bad, naming the block" \
	"slot a: dm-verity: data block $kblock is corrupted: slot marked bad"
has tamper "then the device powers off as the board says" \
	'shutdown (the app ended): power off'
boot tamper2 tamper.disk 'keel.on_app_exit=poweroff qt.mode=x'
same "after the corruption: the app runs, exit 0" "$rc" 0
has tamper2 "the next boot runs the other slot" 'booting b as fallback'
has tamper2 "slot b verified" \
	'slot b: header verified, mounting /dev/keel/verity-b'
has tamper2 "the app ran from b" '^app: qt: mode=x'
hasnt tamper2 "slot a not mounted again" 'mounting /dev/keel/verity-a'

# a corrupted block holding /keel's entries (where config.json is found):
# the refusal names the I/O error and dm-verity, not a missing file
newdisk config.disk
flip config.disk $((pa + cfgname))
boot config config.disk 'keel.on_app_exit=poweroff qt.mode=x'
same "config's directory block corrupted: b boots, exit 0" "$rc" 0
cblock=$((cfgname / 4096))
has config "the refusal names the I/O error and dm-verity's block" \
	"slot a: REFUSED: config: /keel/config.json: .*error: dm-verity: data block $cblock is corrupted"
hasnt config "not a missing file" 'no /keel/config.json in the image'
has config "then slot b" 'slot b: header verified'
has config "the app ran from b" '^app: qt: mode=x'

newdisk header.disk
flip header.disk $((pa + meta + 165)) # inside the signed root hash
boot header header.disk 'keel.on_app_exit=poweroff qt.mode=x'
same "header A bad: B boots, app exit 0" "$rc" 0
has header "header A refused (its signature proves nothing)" \
	'state: slot a proves nothing: signature'
has header "so slot b is the committed one" 'booting b as committed'
has header "slot B verified" \
	'slot b: header verified, mounting /dev/keel/verity-b'
hasnt header "A never mounted" 'mounting /dev/keel/verity-a'
has header "the app ran from B" '^app: qt: mode=x'

# --- a second disk carrying keel-state (a USB stick, say): refused ---------
head -c 4194304 /dev/zero >usb.img
printf 'label: gpt\nsize=4096, name=keel-state\n' | sfdisk -q usb.img
boot usb main.disk 'keel.on_app_exit=poweroff qt.mode=x' -- \
	-drive file="$WORK/usb.img",format=raw,if=none,id=usb \
	-device virtio-blk-pci,drive=usb
same "a second disk with keel-state: refused, keel qemu 125" "$rc" 125
has usb "the boot is refused naming both" \
	'halted: disk: partition name keel-state found twice: on vd[ab][0-9] and on vd[ab][0-9]: refusing to boot'
hasnt usb "no slot mounted" 'mounting /dev/keel/verity'
hasnt usb "no app" '^app: qt: '

flip header.disk $((pb + meta + 165))
boot halt header.disk 'keel.on_app_exit=poweroff qt.mode=x'
same "both headers bad: keel qemu 125" "$rc" 125
has halt "A refused" 'slot a: REFUSED'
has halt "B refused" 'slot b: REFUSED'
has halt "halted with a message" '^keel: halted: '
hasnt halt "nothing mounted" 'mounting /dev/keel/verity'
hasnt halt "no app" '^app: qt: '
check "keel qemu reports the halt" grep -q 'keel-init halted' halt.err

# --- 4. unmountable /var/lib (garbage) and a read-only-only /etc ------------
newdisk bad.disk
head -c 2097152 /dev/urandom >garbage
dd if=garbage of=bad.disk bs=1M seek=$((pv / 1048576)) conv=notrunc \
	2>/dev/null
# /etc: an unknown read-only-compatible ext4 feature: mounts read-only only
dd if=bad.disk of=etc.part bs=1M skip=$((pe / 1048576)) count=16 2>/dev/null
ro=$(od -An -tu4 -j 1124 -N 4 etc.part | tr -d ' ')
debugfs -w -R "ssv feature_ro_compat $(printf 0x%x $((ro | 0x40000000)))" \
	etc.part >/dev/null 2>&1
dd if=etc.part of=bad.disk bs=1M seek=$((pe / 1048576)) conv=notrunc \
	2>/dev/null
vsum=$(dd if=bad.disk bs=1M skip=$((pv / 1048576)) count=64 2>/dev/null |
	sha256sum)
esum=$(dd if=bad.disk bs=1M skip=$((pe / 1048576)) count=16 2>/dev/null |
	sha256sum)
boot badvar bad.disk 'keel.on_app_exit=poweroff qt.mode=x'
same "bad /var/lib: the app still runs" "$rc" 0
has badvar "var: cannot mount, said" \
	'/run/keel/var: cannot mount /dev/keel/keel-var as ext4'
has badvar "var: loud warning" 'WARNING: /var/lib is a tmpfs'
has badvar "etc: mounted read-only (board policy readonly)" \
	'/run/keel/etc: mounted READ-ONLY (board policy)'
has badvar "etc: changes will not persist, said" \
	'WARNING: /etc changes will NOT persist'
same "app sees an empty /var/lib" "$(val badvar runs)" 0
same "app sees the image's /etc" "$(val badvar local)" "image default"
dd if=bad.disk bs=1M skip=$((pv / 1048576)) count=2 of=garbage.after \
	2>/dev/null
check "var: the garbage is left as it was" cmp garbage garbage.after
same "var: the whole partition is unchanged" "$(dd if=bad.disk bs=1M \
	skip=$((pv / 1048576)) count=64 2>/dev/null | sha256sum)" "$vsum"
same "etc: the whole partition is unchanged" "$(dd if=bad.disk bs=1M \
	skip=$((pe / 1048576)) count=16 2>/dev/null | sha256sum)" "$esum"

# --- 5. crash loop: backoff, reboot, the other slot, then halt --------------
newdisk crash.disk
# (in full verification mode: its first start times that mode)
boot crash crash.disk 'keel.on_app_exit=restart keel.verify=full qt.mode=crash'
has crash "full mode: whole image verified" 'slot a: whole image verified'
t_full=$(at crash 'app: started') m_full=$(at crash 'modules:')
has crash "restart 1 after 10 ms" 'app: restart 1 in 10 ms'
has crash "delay doubles" 'app: restart 2 in 20 ms'
has crash "delay doubles again" 'app: restart 3 in 40 ms'
has crash "delay doubles to restart-max-delay-ms" 'app: restart 4 in 80 ms'
has crash "capped there" 'app: restart 5 in 80 ms'
has crash "still capped" 'app: restart 10 in 80 ms'
hasnt crash "no 11th restart" 'app: restart 11 '
has crash "crash loop after 10 restarts" 'app: crash loop (10 restarts)'
has crash "escalates to a reboot" 'shutdown (app crash loop): reboot'
has crash "the device reboots" 'reboot: Restarting system'
# keel qemu ends at the reboot (-no-reboot) and says so: 125, not a status
same "keel qemu: a reboot under -no-reboot is 125" "$rc" 125
grep -q 'the device rebooted' crash.err && pass "keel qemu names the reboot" ||
	fail "keel qemu names the reboot: $(cat crash.err)"
r1=$(at crash 'app: restart 1 ') r10=$(at crash 'app: crash loop')
echo "init: crash loop: 10 restarts in $(((r10 - r1) / 1000)) ms"
boot crash2 crash.disk 'keel.on_app_exit=restart qt.mode=crash'
has crash2 "after the crash-loop reboot: the other slot" 'booting b as fallback'
has crash2 "B crash-loops too" 'app: crash loop (10 restarts)'
has crash2 "nothing left: halted with a message" \
	'^keel: halted: app: crash loop on every slot'
same "halted: keel qemu 125" "$rc" 125

# --- 8. the container boundary: the escape suite on the device -----------
# The probe's escape mode as the app, under the demo's policy and under
# Docker's default capabilities: here the reaper forks from keel-init (its
# descriptors: the state partition, the watchdog, the sockets), /run/keel
# holds keel-init's sockets, cgroup v2 carries the device program, and
# /proc/sys is the board kernel's.
if [ -x "$TO/probe" ]; then
	mkdir -p esc/bin esc/proc esc/sys esc/dev esc/run esc/tmp esc/etc \
		esc/var/lib
	cp "$TO/probe" esc/bin/probe
	cp "$TO/probe" esc/bin/probe-suid
	chmod 4755 esc/bin/probe-suid
	sed 's|"args": \["/usr/sbin/keel-demo"\]|"args": ["/bin/probe", "escape"]|' \
		"$TOP/demo/config.json" >esc-demo.json
	cp "$TOP/tests/probe/docker.json" esc-docker.json
	for pol in demo docker; do
		"$KEEL" image build esc -o "esc-$pol.img" --board "$BOARD" \
			--config "esc-$pol.json" --salt 42 >esc.out 2>&1 &&
			"$KEEL" image sign "esc-$pol.img" --key "$KEY_A" \
				>>esc.out 2>&1 &&
			"$KEEL" disk --board "$BOARD" --slot-a "esc-$pol.img" \
				--slot-b "esc-$pol.img" -o "esc-$pol.disk" \
				>>esc.out 2>&1 ||
			{ fail "escape image ($pol): $(tail -n 2 esc.out)"; continue; }
		boot "esc-$pol" "esc-$pol.disk" 'keel.on_app_exit=poweroff'
		# (no bind here; no terminal: the app's stdio is keel-init's
		# log pipe)
		escape_judge qemu "$pol" "esc-$pol.con" "bind_symlink tiocsti ctty"
		has "esc-$pol" "$pol: the suite ends" 'escape-summary '
	done
else
	fail "no $TO/probe (make BOARD=$BOARD $TO/probe): no escape suite"
fi

echo "init: keel-init start to app exec: verity ${t_verity:-?} us" \
	"($((${t_verity:-0} - ${m_verity:-0})) us after the modules), full" \
	"${t_full:-?} us ($((${t_full:-0} - ${m_full:-0})) us after the" \
	"modules); keel-init RSS ${rss:-?} KiB" \
	"(Pss $(val probe init.pss) KiB); $(($(date +%s) - t_start)) s in all"
finish
