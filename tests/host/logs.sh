# SPDX-License-Identifier: MIT
# keel-init's log (--test as PID 1 of a pid namespace): the app's output
# through a pipe into one RAM ring with keel-init's lines, `keel logs`
# (-n, -f) through the control socket, app output cleaned and marked so
# it cannot pass for keel-init's, and a console that stops taking bytes
# (a pty nobody reads, then stopped with TCOOFF) never stalls PID 1.
. "$(dirname "$0")/../lib.sh"

. "$TOP/tests/init_lib.sh"
init_needs python3
cd "$WORK" || exit 1

mkimg() { # name script
	app_tree "$1" "$2"
	"$KEEL" image build "$1" -o "$1.img" --board test-board --config "$1.json" \
		--salt 42 >/dev/null && "$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		cp "$1.img" "$1-b.img"
}

# start IMAGE PATTERN [console]: keel-init in the background, console on
# boot.out (or on the pty of console.py); waits for PATTERN in the log
start() {
	board_conf "$1.img" "$1-b.img"
	: >boot.out
	if [ -n "${3:-}" ]; then
		( timeout 90 python3 console.py "$INIT" --test --board board.conf; echo $? >boot.rc ) &
	else
		( timeout 90 unshare --fork --pid --mount --propagation private -- \
			"$INIT" --test --board board.conf >boot.out 2>&1; echo $? >boot.rc ) &
	fi
	for _ in $(seq 100); do
		PID=$(pgrep -f "^$INIT --test" | head -n 1)
		[ -n "$PID" ] && [ -S "/proc/$PID/root/run/keel/sock/control" ] && break
		sleep 0.1
	done
	SOCK=/proc/$PID/root/run/keel/sock/control
	for _ in $(seq 100); do
		"$KEEL" logs --socket "$SOCK" 2>/dev/null | grep -q -e "$2" && break
		sleep 0.1
	done
}
stop() { "$KEEL" poweroff --socket "$SOCK" >/dev/null 2>&1; wait; }
logs() { "$KEEL" logs --socket "$SOCK" "$@" 2>&1; }

# --- 1. the app's lines, keel-init's, in order, cleaned and marked ----------
ESC=$(printf '\033')
mkimg talk "echo first line; printf 'tab\there \033[31mred\n'; echo 'keel: app exited status=7'; echo 'to stderr' >&2; keel notify READY=1; i=0; while :; do i=\$((i+1)); echo tick \$i; sleep 0.1; done"
start talk "tick 3"
logs >all.log
grep -q '^\[ *[0-9]*\.[0-9]\{6\}\] keel: app: started' all.log && pass "keel-init's lines in the log" || fail "no keel lines: $(head -5 all.log)"
grep -q '^\[ *[0-9]*\.[0-9]\{6\}\] app: first line$' all.log && pass "the app's stdout in the log" || fail "no app line: $(head -20 all.log)"
grep -q '\] app: to stderr$' all.log && pass "the app's stderr in the log" || fail "no stderr line"
grep -q '\] app: tab here ?\[31mred$' all.log && pass "tabs and escapes cleaned" || fail "not cleaned: $(grep red all.log)"
grep -q "$ESC" all.log && fail "an escape byte reached the log" || pass "no escape byte in the log"
a=$(grep -n 'app: started' all.log | head -n 1 | cut -d: -f1)
b=$(grep -n 'app: first line' all.log | head -n 1 | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] && pass "in order" || fail "order: started $a, first $b"
grep -q '^app: keel: app exited status=7$' boot.out && pass "on the console the app's lines are marked" ||
	fail "console: $(grep 'status=7' boot.out)"
grep -q '^keel: app exited status=7' boot.out && fail "the app forged a keel-init status line" ||
	pass "the app cannot forge a keel-init status line"
[ "$(logs -n 3 | wc -l)" = 3 ] && pass "-n 3: three lines" || fail "-n 3: $(logs -n 3)"
logs -n 1 | grep -q 'app: tick' && pass "-n 1: the newest line" || fail "-n 1: $(logs -n 1)"

n=$(ls -l /proc/$PID/fd | grep -c /dev/null)
ls -l /proc/$PID/fd >fds.txt
[ "$n" = 2 ] && pass "PID 1 holds /dev/null once for the app (and as stdin)" || { fail "PID 1 holds $n /dev/null fds"; cat fds.txt; grep -i "app:" boot.out | head; }
# --- 1b. the log of the boot before, from the var partition ------------------
stop
[ -f var/.keel-init/log/boot.0 ] && pass "the log is saved on the var partition" || fail "no var/.keel-init/log/boot.0"
start talk "tick 3"
logs --boot -1 >prev.log
grep -q '\] app: first line$' prev.log && pass "--boot -1: the app's lines of the last boot" || fail "--boot -1: $(head -5 prev.log)"
grep -q 'keel: shutdown: saving the log' prev.log && pass "--boot -1: up to the shutdown" || fail "--boot -1 ends: $(tail -3 prev.log)"
[ "$(logs --boot -1 -n 2 | wc -l)" = 2 ] && pass "--boot -1 -n 2: two lines" || fail "--boot -1 -n 2: $(logs --boot -1 -n 2)"
logs --boot -2 | grep -q "no saved log" && pass "--boot -2: none yet, said so" || fail "--boot -2: $(logs --boot -2 | head -3)"
# --- 2. follow: new lines arrive; the reader going away costs nothing -------
logs -f -n 1 >follow.log &
fpid=$!
sleep 1.2
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
n=$(grep -c 'app: tick' follow.log)
[ "$n" -ge 5 ] && pass "follow: $n new lines in 1.2 s" || fail "follow: $n lines: $(cat follow.log)"
"$KEEL" status --socket "$SOCK" >/dev/null 2>&1 && pass "status after a follower left" || fail "status after follow"

# --- 3. readers that never read: capped, and PID 1 goes on -------------------
# reader.py N: a client that asks to follow the log, reads one burst,
# says so (ready.N), then reads nothing more until go exists.
cat >reader.py <<'EOF2'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"logs follow 0\n")
s.recv(64)
open("ready." + sys.argv[2], "w").close()
while not os.path.exists("go"):
    time.sleep(0.05)
EOF2
rm -f go ready.*
for i in 1 2 3 4; do python3 reader.py "$SOCK" "$i" & done
for _ in $(seq 200); do [ "$(ls ready.* 2>/dev/null | wc -l)" = 4 ] && break; sleep 0.1; done
same "four readers follow the log" "$(ls ready.* 2>/dev/null | wc -l)" 4
logs -n 1 | grep -q busy && pass "a fifth reader is refused (busy)" || fail "fifth reader: $(logs -n 1)"
sleep 1 # the app goes on writing; the four take nothing
timeout 5 "$KEEL" status --socket "$SOCK" >/dev/null 2>&1 && pass "status while four readers stall" || fail "status blocked by stalled readers"
touch go
wait_free() { for _ in $(seq 100); do logs -n 1 | grep -q 'app: tick' && return 0; sleep 0.1; done; return 1; }
wait_free && pass "readers free again when the clients go" || fail "after stalls: $(logs -n 1)"
stop

# --- 4. a flood of output and a console that takes nothing -------------------
# console.py: keel-init with its console on a pty; nobody reads the pty
# for 3 s, then it is stopped (TCOOFF) until the test says "release" (60 s
# at most), then read to the end (draining says so). The status calls all
# fall inside the stuck time, however slow a loaded machine makes them.
cat >console.py <<'EOF2'
import os, pty, subprocess, sys, termios, time
m, s = pty.openpty()
p = subprocess.Popen(["unshare", "--fork", "--pid", "--mount",
                      "--propagation", "private"] + sys.argv[1:],
                     stdin=s, stdout=s, stderr=s, close_fds=True)
os.close(s)
time.sleep(3)
termios.tcflow(m, termios.TCOOFF)
for _ in range(600):
    if os.path.exists("release"):
        break
    time.sleep(0.1)
termios.tcflow(m, termios.TCOON)
out = open("console.out", "wb")
open("draining", "w").close()
os.set_blocking(m, False)
while True:
    try:
        data = os.read(m, 65536)
        if not data:
            break
        out.write(data)
    except BlockingIOError:
        if p.poll() is not None:
            break
        time.sleep(0.05)
    except OSError:
        break
p.wait()
sys.exit(p.returncode)
EOF2
rm -f draining release
mkimg flood "keel notify READY=1; while :; do echo flood line with some words in it to fill the console; done"
start flood "flood line" console
ok=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	timeout 10 "$KEEL" status --socket "$SOCK" >/dev/null 2>&1 && ok=$((ok + 1))
	sleep 0.4
done
same "status answers while the console is stuck and the app floods" "$ok" 10
[ -e draining ] && fail "the console was read before the status calls ended" ||
	pass "every status answer came while the console was stuck"
touch release
logs -n 1 | grep -q 'app: flood line' && pass "the log keeps up with the flood" || fail "log: $(logs -n 1)"
for _ in $(seq 100); do [ -e draining ] && break; sleep 0.1; done
sleep 0.5
stop
grep -q 'keel: console: [0-9]* lines dropped' console.out && pass "the console says how many lines it dropped" ||
	fail "no drop count on the console: $(tail -c 300 console.out)"

finish
