#!/bin/sh
# SPDX-License-Identifier: MIT
# The app of every image tests/qemu/update.sh boots (its /bin/ut): it does
# what its image (/role) and the kernel command line's ut.mode= say, and
# prints "ut: ..." lines the test reads from the console.
role=$(cat /role)
mode=$(sed -n 's/.*ut\.mode=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
say() { echo "ut: $*"; }
# status TAG: keel status as "ut: TAG: key=value" lines, once committed
status() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		keel status >/tmp/st 2>&1
		grep -q '^commit_pending=0' /tmp/st && break
		sleep 0.5
	done
	sed "s/^/ut: $1: /" /tmp/st
}
# refuse NAME: keel update of a bundle that must be refused
refuse() {
	keel update "/updates/$1.bundle" >/tmp/u.out 2>&1
	say "refuse.$1=$? $(tail -n 1 /tmp/u.out)"
}
# install NAME: keel update, progress on the console
install() {
	say "installing $1"
	keel update "/updates/$1.bundle"
	say "update.$1=$?"
}
pet() { while :; do keel notify WATCHDOG=1; sleep 0.5; done; }
forever() { while :; do sleep 1; done; }
# deep DIR LEVELS: a tree LEVELS deep of odd names (newlines, tabs, a
# leading dash, 250 bytes, keel's own names), links, a loop, a FIFO, and
# a last directory nobody may enter
deep() {
	mkdir -p "$1" && cd "$1" || return
	i=0
	long=$(head -c 250 /dev/zero | tr '\0' x)
	while [ $i -lt "$2" ]; do
		case $((i % 8)) in
		0) d=$(printf 'new\nline %d' $i) ;;
		1) d="-rf $i" ;;
		2) d=".keel-rm" ;;
		3) d=$(printf 'ta\tb \303\274 %d' $i) ;;
		4) d="$long$i" ;;
		5) d="..." ;;
		6) d=".keel-gen-$i" ;;
		7) d=" * ? \\ $i" ;;
		esac
		echo "file at $i" >"f $i"
		if [ $((i % 20)) = 0 ]; then
			ln -s ../.. "loop $i"
			mkfifo "fifo $i"
			ln "f $i" "hard $i"
		fi
		# (cd -P: the logical path would pass PATH_MAX)
		mkdir "./$d" && cd -P "./$d" || break
		i=$((i + 1))
	done
	chmod 000 .
	cd /
	say "deep $1: $i levels"
}
say "role=$role mode=$mode"
case $role in
bad)
	say "v3 exits at once"
	exit 1
	;;
hang)
	say "hang: never READY, never WATCHDOG"
	forever
	;;
v1)
	keel notify READY=1
	status boot
	# (synced: a cut boot below kills QEMU mid-install)
	[ -s /var/lib/v1 ] || { echo "written by v1" >/var/lib/v1; sync; }
	install v2
	status installed
	[ "$mode" = install ] && keel reboot
	forever
	;;
esac
case $mode in
trialupd)
	# v2 on trial, before READY=1: an update must not touch slot a
	keel update /updates/v3.bundle >/tmp/u.out 2>&1
	say "trialupd=$? $(tail -n 1 /tmp/u.out)"
	forever
	;;
crashwd)
	# crashes six times (backoff up to 3.2 s, the watchdog's 2 s)
	n=$(($(cat /var/lib/crashwd 2>/dev/null || echo 0) + 1))
	echo $n >/var/lib/crashwd
	sync
	if [ $n -lt 7 ]; then
		say "crashwd: run $n exits 1"
		exit 1
	fi
	rm /var/lib/crashwd
	say "crashwd: run $n, after the backoff: still up"
	# a stop that takes the whole grace (3 s), longer than the
	# watchdog's 2 s: keel-init pets it while it waits
	trap '' TERM
	keel poweroff
	forever
	;;
esac
# v2: sends WATCHDOG=1 (org.keel.watchdog-ms) except to hang on purpose
keel notify READY=1 "STATUS=v2 serving"
if [ "$mode" != wdog ] || [ -e /var/lib/step.wdog ]; then
	pet &
fi
status boot
case $mode in
commit)
	say "var.v1=$(cat /var/lib/v1)"
	echo changed >/etc/local
	echo precious >/var/lib/data
	for b in unsigned wrongkey otherboard old lowepoch; do refuse $b; done
	status after
	keel poweroff
	;;
broken)
	for b in lowepoch trunc corrupt; do refuse $b; done
	status after
	keel poweroff
	;;
bad | hang)
	if [ -e "/var/lib/step.$mode" ]; then
		rm "/var/lib/step.$mode"
		say "back on v2"
		if [ $mode = bad ]; then
			refuse v3
			# the saved log of the boot before: the last try's
			keel logs --boot -1 >/tmp/prev 2>&1
			say "prev.rc=$?"
			sed 's/^/ut: prev: /' /tmp/prev
		fi
		status back
		keel poweroff
	else
		touch "/var/lib/step.$mode"
		sync
		if [ $mode = bad ]; then install v3; else install hang; fi
		keel reboot
	fi
	;;
tpm)
	keel poweroff
	;;
wdog)
	if [ -e /var/lib/step.wdog ]; then
		rm /var/lib/step.wdog
		say "up again after the reset"
		keel poweroff
	else
		touch /var/lib/step.wdog
		sync
		say "hanging: no more WATCHDOG=1"
	fi
	;;
reset)
	if [ -e /var/lib/data ]; then
		say "reset.local=$(cat /etc/local)"
		say "reset.data=$(cat /var/lib/data)"
		deep /var/lib/deep 200
		deep /etc/deep 20
		keel factory-reset --yes
		say "factory-reset=$?"
		keel reboot
	else
		say "after.local=$(cat /etc/local)"
		say "after.var=$(ls -A /var/lib | wc -l)"
		say "after.etcdeep=$([ -e /etc/deep ] && echo 1 || echo 0)"
		# the old trees go in the background: wait for their end, at
		# most ut.wait= seconds (the test's limit, scaled to the machine)
		t0=$(date +%s)
		lim=$(sed -n 's/.*ut\.wait=\([0-9]*\).*/\1/p' /proc/cmdline)
		until keel status | grep -q '^cleanup=idle'; do
			[ $(($(date +%s) - t0)) -lt "${lim:-30}" ] || break
			sleep 0.2
		done
		say "cleanup.wait=$(($(date +%s) - t0))"
		status after
		keel poweroff
	fi
	;;
esac
forever
