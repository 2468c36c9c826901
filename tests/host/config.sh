#!/bin/sh
# SPDX-License-Identifier: MIT
# keel image build checks the config.json it stores: refusals name the JSON
# path, a umoci bundle's config is stored in canonical form.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$WORK/root/bin"
echo data >"$WORK/root/bin/file"
cfg() {
	printf '{"ociVersion":"1.0.2","process":{"args":["/bin/app"]}%s}' \
		"$1" >"$WORK/c.json"
}
build() {
	rm -f "$WORK/i.img"
	"$KEEL" image build "$WORK/root" -o "$WORK/i.img" --config "$WORK/c.json"
}

cfg ''
check "minimal config builds" build
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
	check "umoci bundle builds" \
		"$KEEL" image build "$WORK/bundle" -o "$WORK/b.img"
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
