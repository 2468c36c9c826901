#!/bin/sh
# SPDX-License-Identifier: MIT
# keel image build checks the config.json it stores: refusals name the JSON
# path, a umoci bundle's config is stored in canonical form; args[0] and
# mount destinations are looked up inside the tree, never on the host.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$WORK/root/bin" "$WORK/root/usr/bin" "$WORK/root/data"
echo data >"$WORK/root/bin/file"
printf '#!/bin/app\n' >"$WORK/root/bin/app"
chmod 755 "$WORK/root/bin/app"
cfg() {
	printf '{"ociVersion":"1.0.2","process":{"args":["/bin/app"]}%s}' \
		"$1" >"$WORK/c.json"
}
build() {
	rm -f "$WORK/i.img"
	"$KEEL" image build "$WORK/root" -o "$WORK/i.img" --board test-board --config "$WORK/c.json"
}

cfg ''
check "minimal config builds" build
# --- args[0] and mount destinations, resolved inside the tree -------------
args() {
	printf '{"ociVersion":"1.0.2","process":{"args":["%s"],"env":["PATH=%s"]}%s}' \
		"$1" "${2:-/bin}" "${3:-}" >"$WORK/c.json"
}
args app /usr/bin:/bin
check "args[0] found through PATH" build
args /bin/none
refuse "missing args[0] refused" 'process.args\[0\]: /bin/none: No such file' build
args none /usr/bin:/bin
refuse "args[0] not in PATH refused" "'none' is not found in the image's PATH (/usr/bin:/bin)" build
args /bin/file
refuse "non-executable args[0] refused" '/bin/file: not an executable file' build
ln -s /bin/app "$WORK/root/usr/bin/inroot"
args inroot /usr/bin
check "absolute symlink resolved inside the tree" build
# /bin/sh exists on the build host, not in the tree: must not count
ln -s /bin/sh "$WORK/root/usr/bin/hostsh"
args hostsh /usr/bin
refuse "symlink never resolved on the host" "'hostsh' is not found" build
ln -s ../../../../../../bin/sh "$WORK/root/usr/bin/up"
args up /usr/bin
refuse "relative symlink stays in the tree" "'up' is not found" build
printf '#!/bin/missing -x\n' >"$WORK/root/bin/script"
chmod 755 "$WORK/root/bin/script"
args /bin/script
refuse "script without its interpreter refused" 'a script for /bin/missing' build
args /bin/app /bin ',"mounts":[{"destination":"/data","type":"tmpfs","source":"tmpfs"}]'
check "existing mount destination" build
args /bin/app /bin ',"mounts":[{"destination":"/nowhere","type":"tmpfs","source":"tmpfs"}]'
refuse "missing mount destination refused" 'mounts\[0\]: destination /nowhere: No such file' build
args /bin/app /bin ',"mounts":[{"destination":"/run/x","type":"tmpfs","source":"tmpfs"}]'
refuse "destination on keel's /run refused" "mounts\[0\]: destination /run/x lies on keel's empty tmpfs at /run" build

# --- board, OCI layouts, build-host files ---------------------------------
args /bin/app
refuse "--board required" '--board NAME is required' \
	"$KEEL" image build "$WORK/root" -o "$WORK/i.img" --config "$WORK/c.json"
[ -e "$WORK/i.img" ] && fail "refused build left an image" || pass "nothing written"
printf 'name=from-conf\nconsole=ttyS0\npart.a=keel-a 8M\n' >"$WORK/board.conf"
"$KEEL" image build "$WORK/root" -o "$WORK/i.img" --board "$WORK/board.conf" \
	--config "$WORK/c.json" >/dev/null 2>&1
same "--board takes board.conf's name" \
	"$("$KEEL" image inspect "$WORK/i.img" 2>&1 | sed -n 's/^board=//p')" from-conf
mkdir -p "$WORK/layout/blobs"
echo '{"imageLayoutVersion":"1.0.0"}' >"$WORK/layout/oci-layout"
echo '{"schemaVersion":2,"manifests":[]}' >"$WORK/layout/index.json"
refuse "OCI image layout refused with a hint" 'umoci unpack' \
	"$KEEL" image build "$WORK/layout" -o "$WORK/l.img" --board test-board
if [ -s /etc/resolv.conf ]; then
	mkdir -p "$WORK/root/etc"
	cp /etc/resolv.conf "$WORK/root/etc/resolv.conf"
	build >"$WORK/w.out" 2>&1
	grep -q "warning: /etc/resolv.conf is the build host's" "$WORK/w.out" &&
		pass "host resolv.conf warned about" ||
		fail "no warning: $(cat "$WORK/w.out")"
	echo "nameserver 192.0.2.1" >"$WORK/root/etc/resolv.conf"
	build >"$WORK/w.out" 2>&1
	grep -q warning "$WORK/w.out" && fail "own resolv.conf warned about" ||
		pass "the image's own resolv.conf is no warning"
	rm "$WORK/root/etc/resolv.conf"
fi

cfg ',"linux":{"sysctl":{"net.ipv4.ip_forward":"1"}}'
refuse "linux.sysctl refused" 'linux.sysctl: not supported by keel' build
cfg ',"hooks":{"prestart":[]}'
refuse "hooks refused" 'hooks: not supported by keel' build
cfg ',"mounts":[{"destination":"/m","type":"nfs","source":"x:/y"}]'
refuse "nfs mount refused" 'mounts\[0\]: type "nfs"' build
cfg ',"annotations":{"org.keel.restart":"sometimes"}'
refuse "bad keel annotation" 'annotations.org.keel.restart' build
cfg ',"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}}'
refuse "seccomp args refused" 'argument conditions are not supported' build
printf '{"ociVersion":"1.0.2","process":{"args":["/bin/app"]},"hostname":"a","hostname":"b"}' >"$WORK/c.json"
refuse "duplicate key refused" 'duplicate key' build
printf '{"ociVersion":"1.0.2","process":{"args":["/bin/app"],"terminal":true}}' >"$WORK/c.json"
refuse "terminal refused outside a bundle" 'process.terminal' build

# a umoci bundle: terminal=true is dropped, the rest stored canonically
if command -v umoci >/dev/null 2>&1; then
	(cd "$WORK" && umoci init --layout L && umoci new --image L:t &&
		umoci config --image L:t --config.cmd /bin/app \
			--config.env MODE=x &&
		umoci unpack --image L:t bundle) >"$WORK/umoci.out" 2>&1 ||
		fail "umoci: $(tail -n 2 "$WORK/umoci.out")"
	mkdir -p "$WORK/bundle/rootfs/bin"
	cp "$WORK/root/bin/app" "$WORK/bundle/rootfs/bin/app"
	check "umoci bundle builds" \
		"$KEEL" image build "$WORK/bundle" -o "$WORK/b.img" --board test-board
	if command -v fsck.erofs >/dev/null 2>&1 &&
		fsck.erofs --extract="$WORK/x" "$WORK/b.img" >/dev/null 2>&1; then
		c=$(cat "$WORK/x/keel/config.json")
		case $c in *'"terminal"'*) fail "terminal still stored" ;;
		*) pass "terminal dropped" ;; esac
		case $c in *'"MODE=x"'*) pass "env kept" ;;
		*) fail "env lost: $c" ;; esac
	else
		skip "fsck.erofs --extract unavailable: stored config not read"
	fi
else
	skip "umoci not installed"
fi
finish
