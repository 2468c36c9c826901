# SPDX-License-Identifier: MIT
# The build: reproducible, idempotent, layered as documented, formatted,
# and it refuses key sets that could never vouch for an image.
. "$(dirname "$0")/../lib.sh"

b=$WORK/b
mkdir -p "$b"
# Reuse the Debian-source libraries already built for this tree.
cp -a "$O/deps" "$O/include" "$b/" && touch "$b/.deps-ok"
cd "$TOP" || exit 1
# A make above this one (make -jN check) must not leak its jobserver in.
unset MAKEFLAGS MFLAGS MAKELEVEL

make -s O="$b" >"$WORK/build.out" 2>&1
same "build with the test keys" "$?" 0
grep -q "WARNING: baking the TEST KEYS" "$WORK/build.out" &&
	pass "a test-key build warns at build time" ||
	fail "a test-key build warns at build time: $(cat "$WORK/build.out")"
same "a second make does nothing" "$(make O="$b" 2>&1)" ""
check "same bytes as the main build (keel)" cmp "$b/keel" "$O/keel"
check "same bytes as the main build (keel-init)" cmp "$b/keel-init" "$O/keel-init"
# No segment both writable and executable, and the read-only data in no
# executable one (scripts/rodata.ld): the segments readelf lists, each
# with its flags and its sections.
wx() { # BINARY: a line for each segment that breaks the rule
	readelf -lW "$1" | awk '
	/^  [A-Z_]+ +0x/ { f = ""; for (j = 7; j < NF; j++) f = f $j; flg[n++] = f }
	/^   [0-9][0-9] / { for (j = 2; j <= NF; j++) sec[$1 + 0] = sec[$1 + 0] " " $j }
	END {
		if (!n) print "no segments"
		for (i = 0; i < n; i++) {
			if (flg[i] ~ /W/ && flg[i] ~ /E/) print i ": W and X"
			if (flg[i] ~ /E/ && sec[i] ~ / \.rodata/) print i ": X, holds" sec[i]
		}
	}'
}
same "keel-init: no segment W and X, read-only data not X" "$(wx "$b/keel-init")" ""
same "keel: no segment W and X, read-only data not X" "$(wx "$b/keel")" ""
# No instruction beyond the CPU's baseline (x86-64, ARMv8.0-A) outside
# the functions that run only after a check of the CPU: keel's SHA-256
# blocks (lib/crypto/sha256_x86.c, sha256_arm.c, built with -msha
# -msse4.1 -mssse3 and +crypto: sha256.c asks the CPU first) and
# BearSSL's AES-NI and PCLMUL code (its own target attributes and CPUID
# check). The LTO link hands lto1 the first object's flags; GCC's
# per-function target options must keep those of one file to its own
# functions, and this says so of the binaries as linked: with symbols
# (LD_STRIP=), the same code as the stripped ones (strip gives the same
# bytes).
insns() { # OBJDUMP BINARY: "function: mnemonics" beyond the baseline
	"$1" -d --no-show-raw-insn "$2" | awk '
	/^[0-9a-f]+ <.*>:$/ { fn = substr($2, 2, length($2) - 3); next }
	{
		n = split($0, f, "\t"); if (n < 2) next
		split(f[2], w, " "); m = w[1]; x = f[2] (n > 2 ? " " f[3] : "")
		if (m ~ /^(sha1|sha256|sha512|aes|pclmul|sm3|sm4|eor3|bcax|rax1|xar)/ ||
		    (m ~ /^pmull/ && x ~ /\.1q/) ||
		    m ~ /^(pshufb|palignr|phadd|phsub|pmaddubsw|pmulhrsw|psign|pabs)/ ||
		    m ~ /^(pblend|blendv?p|dpp|extractps|insertps|movntdqa|mpsadbw|packusdw|pcmpeqq|pextr[bdq]|pinsr[bdq]|pm(ax|in)(s[bd]|u[dw])|pmov[sz]x|pmuldq|pmulld|ptest|round[ps]|phminposuw)/ ||
		    m ~ /^(pcmp[ei]str|pcmpgtq|crc32|popcnt|movbe|andn|bextr|bls|bzhi|[ms]h[lr]x|sarx|rorx|pdep|pext$|mulx|adcx|adox)/ ||
		    (m ~ /^v/ && x ~ /%[xyz]mm/))
			if (!((fn, m) in seen)) { seen[fn, m]; bad[fn] = bad[fn] " " m }
	}
	END { for (fn in bad) print fn ":" bad[fn] }' | sort
}
beyond() { # OBJDUMP BINARY: insns' lines of other functions than those
	insns "$@" | grep -Ev '^(sha256_(x86|arm)_blocks2?(\.[a-z0-9_.]*)?|br_aes_x86ni_[a-z0-9_]*|x86ni_keysched|expand_step[0-9_]*|br_ghash_pclmul[a-z0-9_]*):'
}
if command -v objdump >/dev/null 2>&1; then
	check "a link with symbols" make -s -j2 O="$b" LD_STRIP= "$b/keel-init" \
		"$b/keel"
	strip -o "$WORK/ki" "$b/keel-init" && strip -o "$WORK/k" "$b/keel"
	check "stripped, it is the build's keel-init" cmp "$WORK/ki" "$O/keel-init"
	check "stripped, it is the build's keel" cmp "$WORK/k" "$O/keel"
	same "keel-init: SHA and SSE4.1 only where the CPU was asked" \
		"$(beyond objdump "$b/keel-init")" ""
	same "keel: SHA, SSE4.1, AES-NI only where the CPU was asked" \
		"$(beyond objdump "$b/keel")" ""
	insns objdump "$b/keel-init" >"$WORK/insns"
	same "the check sees SHA-NI and SSE4.1 in sha256_x86_blocks" \
		"$(grep '^sha256_x86_blocks:' "$WORK/insns" | grep ' pblendw' |
			grep -c ' sha256rnds2')" 1
	check "stripped again" make -s -j2 O="$b"
else
	skip "objdump is not installed"
fi
# And as run: keel builds, signs and checks an image (SHA-256 all the
# way) under QEMU's emulator as an x86-64 CPU without SSSE3, SSE4.1 or
# SHA-NI (qemu64), which faults on any instruction of theirs.
if [ "$(uname -m)" = x86_64 ] && command -v qemu-x86_64-static >/dev/null; then
	q() { qemu-x86_64-static -cpu qemu64 "$@"; }
	mkdir -p "$WORK/r/etc" && head -c 300000 /dev/urandom >"$WORK/r/etc/blob"
	check "qemu64: keel image build" q "$b/keel" image build "$WORK/r" \
		-o "$WORK/q.img" --board test-board --salt 42
	check "qemu64: keel image sign" q "$b/keel" image sign "$WORK/q.img" \
		--key "$KEY_A"
	check "qemu64: keel image verify" q "$b/keel" image verify "$WORK/q.img"
	check "the host's keel agrees" "$b/keel" image verify "$WORK/q.img"
else
	skip "no qemu-x86_64-static on an x86_64 machine"
fi
# Objects depend on the flags they are built with (the Makefile's flags
# stamps): a flag change rebuilds each of keel's objects, libkeel.a and
# the binaries (a -D nothing reads: the same bytes), and a make with the
# same flags again rebuilds nothing.
objs="$b/init $b/lib $b/launcher $b/keys"
mark() { touch "$WORK/mark" && sleep 1; }
not_rebuilt() { # DIR...: the first objects under DIR not newer than mark
	find "$@" -name '*.o' ! -newer "$WORK/mark" | head -n 3
}
mark
check "a new flag builds" make -s -j2 O="$b" KCFLAGS=-DKEEL_FLAG_PROBE
same "a new flag rebuilds every object" "$(not_rebuilt $objs)" ""
check "a new flag rebuilds libkeel.a and the binaries" test \
	"$b/libkeel.a" -nt "$WORK/mark" -a "$b/keel-init" -nt "$WORK/mark" \
	-a "$b/keel" -nt "$WORK/mark"
check "a -D nothing reads: the same bytes" cmp "$b/keel-init" "$O/keel-init"
same "the same flag again does nothing" \
	"$(make O="$b" KCFLAGS=-DKEEL_FLAG_PROBE 2>&1)" ""
mark
check "the flag taken away builds" make -s -j2 O="$b"
same "the flag taken away rebuilds every object" "$(not_rebuilt $objs)" ""
mark
same "then a make does nothing" "$(make O="$b" 2>&1)" ""
same "a make that does nothing leaves every object" \
	"$(find $objs "$b/libkeel.a" "$b/keel-init" -newer "$WORK/mark")" ""
# The isolation probe is built outside keel's objects, with its own flags
# and the compiler's: they have a stamp of their own too.
probe() { make O="$b" "$b/probe" "$@" 2>&1; }
check "the probe builds" make -s O="$b" "$b/probe"
same "the probe: a second make does nothing" "$(probe)" ""
mark
check "the probe: another compiler builds" probe CC="musl-gcc -DKEEL_FLAG_PROBE"
check "the probe: another compiler rebuilds it" test "$b/probe" -nt "$WORK/mark"
mark
same "the probe: the same compiler again does nothing" \
	"$(probe CC="musl-gcc -DKEEL_FLAG_PROBE")" ""
mark
check "the probe: its compiler back builds" probe
check "the probe: its compiler back rebuilds it" test "$b/probe" -nt \
	"$WORK/mark"
# A compiler upgrade: the same name, another version (a musl-gcc first
# on PATH that says so when KEEL_CC_NEW is set). The libraries' stamp
# and keel's objects' take it: each is built again (lz4 here, the
# quickest); the same version again rebuilds nothing.
mkdir -p "$WORK/bin"
cat >"$WORK/bin/musl-gcc" <<EOF
#!/bin/sh
if [ "\$1" = --version ] && [ -n "\${KEEL_CC_NEW:-}" ]; then
	echo "gcc (Debian 99.0.0-1) 99.0.0"
	exit 0
fi
exec $(command -v musl-gcc) "\$@"
EOF
chmod +x "$WORK/bin/musl-gcc"
libs() { PATH="$WORK/bin:$PATH" make -s O="$b" "$b/deps/lib/liblz4.a" \
	"$b/cflags" 2>&1; }
cp -p "$b/deps/flags" "$WORK/deps.flags" && cp -p "$b/cflags" "$WORK/cflags"
mark
same "the same compiler version: nothing to do" "$(libs)" ""
check "the same compiler version: liblz4.a stays" test ! \
	"$b/deps/lib/liblz4.a" -nt "$WORK/mark"
check "another compiler version builds" env KEEL_CC_NEW=1 sh -c \
	'PATH="$1:$PATH" make -s O="$2" "$2/deps/lib/liblz4.a" "$2/cflags"' \
	sh "$WORK/bin" "$b"
check "another compiler version rebuilds liblz4.a" test \
	"$b/deps/lib/liblz4.a" -nt "$WORK/mark"
check "another compiler version: in keel's objects' stamp" \
	grep -q 'gcc (Debian 99.0.0-1) 99.0.0$' "$b/cflags"
# the build's own stamps back: nothing else is built again
cp -p "$WORK/deps.flags" "$b/deps/flags" && cp -p "$WORK/cflags" "$b/cflags"
# arm64 (make check builds it first): the same bytes again, built here
# from the same cross compiler, musl and libraries in another directory.
if [ -x "$O/aarch64/keel" ] && [ -f "$O/aarch64/.deps-ok" ]; then
	mkdir -p "$b/aarch64"
	cp -a "$O/aarch64/deps" "$O/aarch64/include" "$O/aarch64/musl" \
		"$b/aarch64/" && touch "$b/aarch64/.deps-ok"
	check "arm64 build" make -s -j2 O="$b" BOARD=qemu-aarch64
	check "arm64: same bytes as the main build (keel)" \
		cmp "$b/aarch64/keel" "$O/aarch64/keel"
	check "arm64: same bytes as the main build (keel-init)" \
		cmp "$b/aarch64/keel-init" "$O/aarch64/keel-init"
	same "arm64: keel-init: no segment W and X, read-only data not X" \
		"$(wx "$b/aarch64/keel-init")" ""
	same "arm64: keel: no segment W and X, read-only data not X" \
		"$(wx "$b/aarch64/keel")" ""
	check "arm64: a link with symbols" make -s -j2 O="$b" \
		BOARD=qemu-aarch64 LD_STRIP= "$b/aarch64/keel-init" \
		"$b/aarch64/keel"
	od=aarch64-linux-gnu-objdump
	aarch64-linux-gnu-strip -o "$WORK/ki" "$b/aarch64/keel-init" &&
		aarch64-linux-gnu-strip -o "$WORK/k" "$b/aarch64/keel"
	check "arm64: stripped, it is the build's keel-init" \
		cmp "$WORK/ki" "$O/aarch64/keel-init"
	check "arm64: stripped, it is the build's keel" \
		cmp "$WORK/k" "$O/aarch64/keel"
	same "arm64: keel-init: SHA-2 instructions only where the CPU was asked" \
		"$(beyond $od "$b/aarch64/keel-init")" ""
	same "arm64: keel: SHA-2 instructions only where the CPU was asked" \
		"$(beyond $od "$b/aarch64/keel")" ""
	insns $od "$b/aarch64/keel-init" >"$WORK/insns"
	same "arm64: the check sees SHA-2 in sha256_arm_blocks" \
		"$(grep -c '^sha256_arm_blocks:.* sha256h ' "$WORK/insns")" 1
	check "arm64: stripped again" make -s -j2 O="$b" BOARD=qemu-aarch64
	mark
	check "arm64: a new flag builds" make -s -j2 O="$b" \
		BOARD=qemu-aarch64 KCFLAGS=-DKEEL_FLAG_PROBE
	same "arm64: a new flag rebuilds every arm64 object" \
		"$(not_rebuilt $(echo "$objs" | sed "s|$b/|$b/aarch64/|g"))" ""
	same "arm64: this machine's objects stay" \
		"$(find $objs -name '*.o' -newer "$WORK/mark" | head -n 3)" ""
else
	skip "no arm64 build in $O/aarch64 (make ARCH=aarch64)"
fi
# lib/ subsystems and keel-init's units call each other without cycles,
# and nothing in lib/ prints or exits (scripts/layers.py reads the objects).
check "layering: no cycles, lib/ never prints or exits" \
	python3 scripts/layers.py "$b"
if command -v clang-format >/dev/null 2>&1; then
	check "the tree is clang-formatted (make fmt)" sh -c \
		"git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror"
else
	skip "clang-format is not installed"
fi

rm -f "$b/keel" "$b/keel-init"
mkdir -p "$WORK/empty/release"
printf 'release 1\n' >"$WORK/empty/policy"
refuse "empty key set fails the build" "needs 1 signatures but has 0 keys" \
	make -s O="$b" KEYS="$WORK/empty"
mkdir -p "$WORK/zero/release"
cp keys/test/release/test-release-a.pub "$WORK/zero/release/"
printf 'release 0\n' >"$WORK/zero/policy"
refuse "zero-signature policy fails the build" "must need 1" \
	make -s O="$b" KEYS="$WORK/zero"
refuse "missing policy fails the build" "no policy file" \
	make -s O="$b" KEYS="$WORK/zero/release"
[ -e "$b/keel" ] && fail "a refused build left a binary" || pass "no binary from a refused key set"
printf 'release 1\n' >"$WORK/zero/policy"
refuse "a production set holding a key of keys/test fails the build" \
	"holds the TEST KEY keys/test/release/test-release-a.pub" \
	make -s O="$b" KEYS="$WORK/zero"
[ -e "$b/keel" ] && fail "a set with a test key left a binary" ||
	pass "no binary from a set with a test key"
mkdir -p "$WORK/prod/release"
printf 'release 1\n' >"$WORK/prod/policy"
"$KEEL" keygen -o "$WORK/prod/release/ci" >/dev/null
rm "$WORK/prod/release/ci.key"
make -s O="$b" KEYS="$WORK/prod" >"$WORK/prod.out" 2>&1
same "a non-test key set builds" "$?" 0
grep -q WARNING "$WORK/prod.out" && fail "a production build warns" ||
	pass "a production build does not warn"
"$b/keel" --version >"$WORK/v.out"
grep -q "TEST KEYS" "$WORK/v.out" && fail "production keys marked as test" || pass "production keys not marked TEST"
# keel loads the points decoded at build time; the link's --check-keys
# parses the PEM texts strictly and must refuse a point that differs.
sed -i '0,/^\t0x04, /s//\t0x03, /' "$b/keys/keyset.c"
refuse "a baked point that is not its key's fails the build" \
	"point baked in is not the key's" make -s O="$b" KEYS="$WORK/prod"
finish
