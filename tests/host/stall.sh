#!/bin/sh
# SPDX-License-Identifier: MIT
# An update client that stops sending and stays connected does not hold
# the installer: after INSTALLER_IDLE_MS without a byte (2 s in keel-test,
# the keel next to keel-init here) the install is abandoned with a
# one-line reason, nothing on the slot is usable, the A/B record is as it
# was (or, once the slot was written to, it keeps only the install mark),
# and the next update installs. Clients: after `update` nothing; a stream
# cut halfway; a delta (KEELWNT1) cut inside a range.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/init_lib.sh"

init_needs python3
KTEST=$O/keel-test
[ -x "$KTEST" ] || { fail "$KTEST missing (make O=$O $KTEST)"; finish; exit; }
cd "$WORK" || exit 1

mkdir hk
cp "$O/keel-init" hk/keel-init
cp "$KTEST" hk/keel
INIT=$WORK/hk/keel-init

mkimg() { # NAME VERSION
	app_tree "$1" 'echo app v$(cat /etc/version) up; keel notify READY=1; while :; do sleep 0.2; done'
	echo "$2" >"$1/etc/version"
	"$KEEL" image build "$1" -o "$1.img" --board test-board --version "$2" \
		--epoch 1 --config "$1.json" >/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "$1.bundle" >/dev/null
}
mkimg v1 1
mkimg v2 2
truncate -s 40M a.img b.img
"$KEEL" install v1.bundle -o a.img >/dev/null
board_conf a.img b.img

# stall MODE N: `update`, then (stream) the first N bytes of v2.bundle or
# (delta) KEELWNT1, the ranges asked before the Nth and half of the Nth;
# then nothing, connected, until keel-init closes. What came back is in
# stall.out.
cat >stall.py <<'EOF'
import socket, sys
mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open("v2.bundle", "rb").read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall(b"update\n")
got, k = b"", 0
if mode == "stream":
    s.sendall(data[:n])
else:
    s.sendall(b"KEELWNT1")
    while k < n:
        b = s.recv(4096)
        if not b:
            break
        got += b
        while b"\n" in got and k < n:
            line, got = got.split(b"\n", 1)
            sys.stdout.write(line.decode() + "\n")
            if not line.startswith(b"want="):
                continue
            r = line[5:].decode()
            if r.endswith("-"):
                off, end = int(r[:-1]), len(data)
            else:
                off, ln = r.split("+")
                off = int(off)
                end = off + int(ln)
            k += 1
            if k == n:
                end = off + (end - off) // 2
            s.sendall(data[off:end])
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
sys.stdout.write(got.decode())
EOF
stall() {
	timeout 30 python3 stall.py "$1" "$SOCK" "$2" >stall.out 2>&1
}
st() { "$KEEL" status --socket "$SOCK" >st.out 2>&1; }
slotb() { sed -n '/^slot=b/,$s/^slot.'"$1"'=//p' st.out | head -n 1; }
has() { if grep -q -e "$2" "$3"; then pass "$1"; else fail "$1: no '$2'"; sed 's/^/    /' "$3" | tail -8; fi; }
WHY="error: client: no byte for 2 s: abandoned"

init_start "app: READY"
has "v1 boots" "app v1 up" boot.out

# --- 1. `update`, then nothing: no byte of the bundle ----------------------
cp state state.before
cp b.img b.before
stall stream 0
has "nothing sent: abandoned, the reason sent back" "^$WHY" stall.out
has "... and in the log: nothing written" \
	"update: refused (nothing written): client: no byte for 2 s" boot.out
cmp -s state state.before && pass "nothing sent: the record unchanged" ||
	fail "nothing sent: the record changed"
cmp -s b.img b.before && pass "nothing sent: slot b untouched" ||
	fail "nothing sent: slot b written"

# --- 2. a stream that stops halfway, after the first writes ----------------
stall stream $(($(wc -c <v2.bundle) / 2))
has "a stream stalled halfway: abandoned" "^$WHY" stall.out
has "... after the install mark" "slot b marked not bootable, synced" boot.out
st
same "... slot b not bootable" "$(slotb bootable)" 0
same "... slot b no trial" "$(slotb trial)" 0
same "... a still committed" "$(sed -n 's/^committed=//p' st.out)" a

# --- 3. a delta that stops inside a range ----------------------------------
stall delta 3
has "a delta was asked for ranges" "^want=" stall.out
has "a delta stalled inside a range: abandoned" "^$WHY" stall.out
st
same "... slot b not bootable" "$(slotb bootable)" 0
same "... slot b no trial" "$(slotb trial)" 0

# --- 4. the installer is free: the next update installs and boots ----------
check "the next update installs" "$KEEL" update v2.bundle --socket "$SOCK"
init_stop reboot
init_start "app: READY"
has "the update boots as a trial" "booting b as trial" boot.out
has "its app runs" "app v2 up" boot.out
init_stop poweroff

finish
