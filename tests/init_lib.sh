# SPDX-License-Identifier: MIT
# Shared by the host tests that boot keel-init --test as PID 1 of a new
# pid namespace over slot files (update.sh, agent.sh, logs.sh,
# update_url.sh; init.sh, net.sh, installer.sh and the bench for the
# board file): the preconditions, an app tree, the board file, a boot.
# Sourced after tests/lib.sh; the functions work in $WORK. Never run.

INIT=$O/keel-init

# init_needs TOOL...: root, busybox-static and each TOOL, else a skip
init_needs() {
	in_ok=1
	[ "$(id -u)" = 0 ] || in_ok=
	for in_t in busybox "$@"; do
		command -v "$in_t" >/dev/null || in_ok=
	done
	if [ -z "$in_ok" ]; then
		skip "needs root, busybox-static${1:+ and $*}"
		finish
		exit 0
	fi
}

# app_tree DIR SCRIPT: a tree whose app is `sh -c SCRIPT` (busybox, with
# keel at /bin/keel; notify and restart always), its config in DIR.json
app_tree() {
	mkdir -p "$1/bin" "$1/etc"
	cp "$(command -v busybox)" "$1/bin/busybox"
	ln -sf busybox "$1/bin/sh"
	cp "$KEEL" "$1/bin/keel"
	at_script=$(printf '%s' "$2" | sed 's/["\\]/\\&/g')
	cat >"$1.json" <<EOF
{"ociVersion": "1.0.2",
 "process": {"args": ["/bin/sh", "-c", "$at_script"], "cwd": "/", "env": ["PATH=/bin"]},
 "root": {"path": "rootfs", "readonly": true},
 "annotations": {"org.keel.notify": "true", "org.keel.restart": "always"}}
EOF
}

# update_agent_images: a.img and b.img (signed), whose app says READY and
# idles, with keel/update.conf in its /etc (no url: the update agent
# starts and polls nothing), and board.conf for them
update_agent_images() {
	app_tree app 'echo app up; keel notify READY=1; while :; do sleep 1; done'
	mkdir -p app/etc/keel
	printf 'interval=3600\n' >app/etc/keel/update.conf # no url: polls nothing
	"$KEEL" image build app -o a.img --board test-board --config app.json \
		--salt 42 >/dev/null && "$KEEL" image sign a.img --key "$KEY_A" \
		>/dev/null && cp a.img b.img || fail "app image"
	board_conf a.img b.img
}

# board_write FILE A B STATE ETC VAR [KEY=VALUE...]: a test-board board
# file at FILE (slots A and B, the state file, the etc and var
# directories, as given; verify=full), then one line each KEY=VALUE (the
# policies, net): the board file of every test that boots keel-init
# --test, and of the bench
board_write() {
	bw_f=$1
	shift
	{
		printf 'name=test-board\nconsole=ttyS0\n'
		printf 'part.a=%s\npart.b=%s\npart.state=%s\n' "$1" "$2" "$3"
		printf 'part.etc=%s\npart.var=%s\nverify=full\n' "$4" "$5"
		shift 5
		for bw_kv in "$@"; do
			printf '%s\n' "$bw_kv"
		done
	} >"$bw_f"
}

# board_conf A B: board.conf for test-board, slots $WORK/A and $WORK/B,
# the state file and the etc and var directories in $WORK (made here)
board_conf() {
	mkdir -p "$WORK/etc" "$WORK/var"
	[ -e "$WORK/state" ] || truncate -s 8192 "$WORK/state"
	board_write "$WORK/board.conf" "$WORK/$1" "$WORK/$2" "$WORK/state" \
		"$WORK/etc" "$WORK/var" on_failure=fallback on_app_exit=restart
}

# init_start PATTERN: boots keel-init in the background with board.conf
# (console in boot.out, earlier boots' in all.out, exit status in
# boot.rc; T seconds before timeout stops it, default 60: a halted
# keel-init stays up) and waits for PATTERN on its console. Sets BOOT
# (the job), PID (keel-init) and SOCK (its control socket).
init_start() {
	cat boot.out >>all.out 2>/dev/null
	: >boot.out
	(
		timeout "${T:-60}" unshare --fork --pid --mount \
			--propagation private -- \
			"$INIT" --test --board board.conf >boot.out 2>&1
		echo $? >boot.rc
	) &
	BOOT=$!
	for _ in $(seq 150); do
		grep -q -e "$1" boot.out 2>/dev/null && break
		sleep 0.1
	done
	PID=$(pgrep -f "^$INIT --test" | head -n 1)
	SOCK=/proc/$PID/root/run/keel/sock/control
}

# init_stop [COMMAND]: `keel COMMAND` (reboot, poweroff) to the device,
# then wait for the boot to end
init_stop() {
	[ -n "${1:-}" ] && "$KEEL" "$1" --socket "$SOCK" >/dev/null 2>&1
	wait "$BOOT"
}
