# SPDX-License-Identifier: MIT
# keel-init keeps the trust when the installer lies: a `keel installer`
# (tests/host/liar_installer.c, the keel next to keel-init --test) that
# announces one image and writes another, writes an older one or one for
# another board, or breaks a signature after writing, gets no trial: the
# slot stays not bootable and the committed slot boots. The honest
# installer's run on the same images is tests/host/update.sh.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v busybox >/dev/null; then
	skip "needs root and busybox-static"
	finish
	exit
fi
cd "$WORK" || exit 1
chmod 755 "$WORK" # the installer runs as its own uid and reads the plan

mkimg() { # NAME VERSION EPOCH [BOARD]
	mkdir -p "$1/bin" "$1/etc"
	cp "$(command -v busybox)" "$1/bin/busybox"
	ln -sf busybox "$1/bin/sh"
	cp "$KEEL" "$1/bin/keel"
	cat >"$1.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/sh", "-c", "echo app v$2 up; keel notify READY=1; while :; do sleep 0.2; done"], "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {"org.keel.notify": "true"}}
EOF
	"$KEEL" image build "$1" -o "$1.img" --board "${4:-test-board}" --version "$2" \
		--epoch "$3" --config "$1.json" >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "$1.bundle" >/dev/null
}
mkimg v1 1 1
mkimg v2 2 1
mkimg v3 3 1
mkimg other 9 1 other-board
truncate -s 40M a.img b.img
"$KEEL" install v1.bundle -o a.img >/dev/null
mkdir -p etc var liar
cat >board.conf <<EOF
name=test-board
console=ttyS0
part.a=$WORK/a.img
part.b=$WORK/b.img
part.state=$WORK/state
part.etc=$WORK/etc
part.var=$WORK/var
verify=full
EOF
truncate -s 8192 state
chmod 644 ./*.img ./*.bundle

cp "$O/keel-init" liar/keel-init
check "the lying installer builds" musl-gcc -static -Os -Wall -Wextra -Werror \
	-Wno-unused-parameter -DLIAR_PLAN="\"$WORK/plan\"" \
	-DLIAR_KEEL="\"$KEEL\"" -I"$TOP" -I"$TOP/compat" -I"$O/gen" \
	-isystem "$O/include" -o liar/keel \
	"$TOP/tests/host/liar_installer.c" "$O/libkeel.a" \
	"$O/deps/lib/libbearssl.a" "$O/deps/lib/liblz4.a"

INIT=$WORK/liar/keel-init
start() {
	: >boot.out
	( timeout 60 unshare --fork --pid --mount --propagation private -- \
		"$INIT" --test --board board.conf >boot.out 2>&1 ) &
	for _ in $(seq 150); do grep -q -e "$1" boot.out 2>/dev/null && break; sleep 0.1; done
	PID=$(pgrep -f "^$INIT --test" | head -n 1)
	SOCK=/proc/$PID/root/run/keel/sock/control
}
st() { "$KEEL" status --socket "$SOCK" 2>&1; }
slotb() { st | sed -n '/^slot=b/,/^slot=/p' | sed -n "s/^slot.$1=//p" | head -n 1; }

start "app v1 up"
# lie WHAT BUNDLE IMAGE REASON: the liar installs BUNDLE, announces IMAGE
lie() {
	printf '%s\n%s\n%s\n' "$1" "$WORK/$2" "$WORK/$3" >plan
	chmod 644 plan
	refuse "$2 written, $3 announced ($1): refused" "$4" \
		"$KEEL" update v2.bundle --socket "$SOCK"
	same "$2 as $3 ($1): slot b not bootable" "$(slotb bootable)" 0
	same "$2 as $3 ($1): slot b no trial" "$(slotb trial)" 0
}
lie as-is v3.bundle v2.img "another image than it announced"
lie as-is v1.bundle v1.img "version 1 is not above 1"
lie as-is other.bundle other.img "board"
lie badsig v2.bundle v2.img "refuses the slot"
grep -q "slot b installed" boot.out && fail "a lie was installed: $(grep 'slot b installed' boot.out)"
# the control: the same liar telling the truth gets its trial
lie_ok() {
	printf 'as-is\n%s\n%s\n' "$WORK/v2.bundle" "$WORK/v2.img" >plan
	check "the liar telling the truth installs" \
		"$KEEL" update v2.bundle --socket "$SOCK"
	same "... slot b is a trial" "$(slotb trial)" 1
}
lie_ok
"$KEEL" poweroff --socket "$SOCK" >/dev/null 2>&1
wait
finish
