#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every libFuzzer target for SECONDS each (default 60), with a corpus
# kept under build/fuzz/corpus. A target's artifacts from an earlier run
# (crash, leak or timeout inputs under build/fuzz) are tried again
# first: one that no longer fails is removed, one that still fails fails
# the target. Every target runs; the last line is "fuzz: N passed, M
# failed" (one a target, failed: it left an artifact), and the exit
# status is non-zero if any failed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
secs=${1:-60}

# Seeds made fresh by keel itself: a small signed image (a whole slot).
seed() {
	case "$1" in
	fuzz_image)
		[ -f "$2/signed.img" ] && return 0
		t=$(mktemp -d)
		mkdir "$t/root" && echo seed >"$t/root/file"
		"$O/keel" image build "$t/root" -o "$2/signed.img" --board test-board --salt 01 >/dev/null &&
			"$O/keel" image sign "$2/signed.img" \
				--key "$top/keys/test/release/test-release-a.key" >/dev/null
		rm -rf "$t" ;;
	fuzz_bundle)
		# "\001" + a frame of zeros: installs into the target's own
		# signed image; "\000" + a real bundle of the baked test keys.
		[ -f "$2/zeros" ] && return 0
		{ printf '\001'; head -c 819200 /dev/zero | lz4 -B4 -BI -c; } \
			>"$2/zeros" 2>/dev/null
		t=$(mktemp -d)
		mkdir "$t/root" && echo seed >"$t/root/file"
		"$O/keel" image build "$t/root" -o "$t/s.img" --board test-board --salt 01 >/dev/null &&
			"$O/keel" image sign "$t/s.img" \
				--key "$top/keys/test/release/test-release-a.key" >/dev/null &&
			"$O/keel" bundle create "$t/s.img" -o "$t/s.kb" &&
			{ printf '\000'; cat "$t/s.kb"; } >"$2/real" &&
			"$O/keel" bundle create "$t/s.img" -o "$t/s1.kb" \
				--format 1 &&
			{ printf '\000'; cat "$t/s1.kb"; } >"$2/real1"
		rm -rf "$t" ;;
	fuzz_log)
		# a reader asleep at the end of a 1112-byte ring while two
		# long lines wrap and cover the marker it holds (f856438)
		[ -f "$2/marker-covered" ] && return 0
		printf '\053\240\000\103\335\335\330\335\333\330\274\274' \
			>"$2/marker-covered" ;;
	fuzz_board)
		# the boards' own files, and a load list as the initramfs has
		[ -f "$2/qemu-x86_64.conf" ] && return 0
		for b in "$top"/board/*/board.conf; do
			cp "$b" "$2/$(basename "$(dirname "$b")").conf"
		done
		printf 'virtio_pci.ko\ndm-mod.ko\nerofs.ko\n' >"$2/load.list" ;;
	fuzz_manifest)
		[ -f "$2/seed" ] && return 0
		printf 'keel-manifest=1\nreport=/r\nbundle=b\nbundle.version=2\nbundle.epoch=1\nbundle.size=9\nbundle.url=x.kb\nbundle.header_sha256=%064d\nbundle.rollout=5\n' 0 >"$2/seed" ;;
	fuzz_fleetconf)
		[ -f "$2/seed" ] && return 0
		printf 'url=https://u.example/m\ninterval=60\nretry=5\njitter=10\nreboot=window 22:00-04:00\nallow_http=1\nreport=http://r/x\n' >"$2/seed" ;;
	fuzz_dhcp)
		# an OFFER as QEMU's user network makes it, with more options
		[ -f "$2/offer" ] && return 0
		python3 -c '
import struct, sys
p = bytearray(300)
p[0:3] = b"\x02\x01\x06"
p[16:20] = bytes([10, 0, 2, 15])
p[236:240] = b"\x63\x82\x53\x63"
o = b"\x35\x01\x02\x36\x04\x0a\x00\x02\x02\x01\x04\xff\xff\xff\x00"
o += b"\x03\x04\x0a\x00\x02\x02\x06\x04\x0a\x00\x02\x03"
o += b"\x33\x04" + struct.pack("!I", 86400) + b"\x0f\x03lan\x2a\x04\x0a\x00\x02\x02"
o += b"\x3a\x04" + struct.pack("!I", 100) + b"\x3b\x04" + struct.pack("!I", 200)
p[240:240 + len(o) + 1] = o + b"\xff"
open(sys.argv[1], "wb").write(bytes(p))' "$2/offer" ;;
	fuzz_netconf)
		[ -f "$2/full" ] && return 0
		printf 'if.eth0=dhcp\nif.eth1=static 192.168.7.2/24 192.168.7.1\ndns=1.1.1.1 9.9.9.9\nsearch=lan example.com\nhostname=dev-1\nntp=10.0.2.2:123 pool.ntp.org\n' \
			>"$2/full" ;;
	fuzz_oci | fuzz_json)
		# umoci's bundle configs (umoci is in scripts/deps.sh)
		[ -f "$2/umoci.json" ] || ! command -v umoci >/dev/null && return 0
		t=$(mktemp -d)
		(cd "$t" && umoci init --layout L && umoci new --image L:t &&
			umoci unpack --image L:t b && umoci unpack --rootless \
			--image L:t r) >/dev/null 2>&1 &&
			cp "$t/b/config.json" "$2/umoci.json" &&
			cp "$t/r/config.json" "$2/umoci-rootless.json"
		rm -rf "$t" ;;
	esac
}
# artifacts NAME: the paths of NAME's artifacts, one a line
artifacts() {
	for a in "$O/fuzz/$1"-crash-* "$O/fuzz/$1"-leak-* \
		"$O/fuzz/$1"-timeout-*; do
		[ -e "$a" ] && echo "$a"
	done
	return 0
}
pass=0 fail=0
for f in "$O"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=$O/fuzz/corpus/$name
	mkdir -p "$corpus"
	seed "$name" "$corpus"
	for a in $(artifacts "$name"); do # fixed since: gone
		"$f" -timeout=30 "$a" >/dev/null 2>&1 && rm -f "$a" &&
			echo "$name: $(basename "$a") passes now: removed"
	done
	if [ -z "$(artifacts "$name")" ]; then
		echo "== $name: ${secs}s"
		"$f" -max_total_time="$secs" -max_len=16384 -timeout=20 \
			-print_final_stats=1 -artifact_prefix="$O/fuzz/$name-" \
			"$corpus" 2>&1 |
			grep -E 'stat::number_of_executed_units|ERROR|SUMMARY|#[0-9]+.*DONE' ||
			true
	fi
	left=$(artifacts "$name")
	if [ -n "$left" ]; then
		echo "$left"
		echo "FAIL $name: an input above fails it (run $f on it)"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
if [ $((pass + fail)) = 0 ]; then # nothing checked is a failure
	echo "FAIL fuzz: no target under $O/fuzz (make fuzzers)"
	fail=1
fi
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
