# SPDX-License-Identifier: MIT
# keel image: build, sign, attach (OpenSSL), verify, inspect, against the
# real veritysetup and openssl.
. "$(dirname "$0")/../lib.sh"

cd "$WORK" || exit 1
mkdir -p root/etc root/bin root/var/lib
echo "hello from the image" >root/etc/greeting
head -c 300000 /dev/urandom >root/bin/blob
ln -s blob root/bin/link

val() { sed -n "s/^$1=//p" "$2"; }
hex2bin() { perl -e 'print pack("H*", $ARGV[0])' "$1"; }

# --- build and inspect ---------------------------------------------------
for fs in erofs squashfs; do
	check "build $fs" "$KEEL" image build root -o $fs.img --fs $fs \
		--version 7 --epoch 2 --board qemu-x86_64 --name "demo 1.0" \
		--salt 00112233445566778899aabbccddeeff
	"$KEEL" image inspect $fs.img >$fs.txt
	same "$fs inspect fs" "$(val fs $fs.txt)" $fs
	same "$fs inspect version" "$(val version $fs.txt)" 7
	same "$fs inspect epoch" "$(val epoch $fs.txt)" 2
	same "$fs inspect board" "$(val board $fs.txt)" qemu-x86_64
	same "$fs inspect name" "$(val name $fs.txt)" "demo 1.0"
	same "$fs inspect salt" "$(val salt $fs.txt)" 00112233445566778899aabbccddeeff
	refuse "$fs unsigned refused" "signature: image is unsigned" \
		"$KEEL" image verify $fs.img

	# The tree and root are exactly veritysetup's, from inspect's values.
	off=$(val hash_offset $fs.txt) blocks=$(val data_blocks $fs.txt)
	root=$(val root_hash $fs.txt) salt=$(val salt $fs.txt)
	check "$fs veritysetup verify" veritysetup verify --no-superblock \
		--hash-offset="$off" --data-blocks="$blocks" --salt="$salt" \
		$fs.img $fs.img "$root"
	head -c "$off" $fs.img >data.bin
	veritysetup format --no-superblock --salt="$salt" data.bin tree.bin >vs.txt
	same "$fs root equals veritysetup's" \
		"$(sed -n 's/^Root hash:[[:space:]]*//p' vs.txt)" "$root"
	tail -c +"$((off + 1))" $fs.img | head -c "$(stat -c %s tree.bin)" >ours.bin
	check "$fs tree bytes equal veritysetup's" cmp ours.bin tree.bin
done

# The filesystem is mountable and holds the tree (loop, read-only).
if [ "$(id -u)" = 0 ]; then
	mkdir -p mnt
	if mount -o ro,loop,sizelimit="$(val hash_offset erofs.txt)" -t erofs erofs.img mnt 2>/dev/null; then
		same "erofs content" "$(cat mnt/etc/greeting)" "hello from the image"
		umount mnt
	else
		fail "mount the erofs image"
	fi
fi

# --- reproducibility ------------------------------------------------------
export SOURCE_DATE_EPOCH=1700000000
"$KEEL" image build root -o r1.img --board test-board --salt 01 >/dev/null
"$KEEL" image build root -o r2.img --board test-board --salt 01 >/dev/null
check "same bytes twice (erofs)" cmp r1.img r2.img
"$KEEL" image build root -o r3.img --board test-board --salt 01 --fs squashfs >/dev/null
"$KEEL" image build root -o r4.img --board test-board --salt 01 --fs squashfs >/dev/null
check "same bytes twice (squashfs)" cmp r3.img r4.img
unset SOURCE_DATE_EPOCH
"$KEEL" image build root -o s1.img --board test-board >/dev/null
"$KEEL" image build root -o s2.img --board test-board >/dev/null
"$KEEL" image inspect s1.img >s1.txt
"$KEEL" image inspect s2.img >s2.txt
same "random 32-byte salt by default" "$(val salt s1.txt | wc -c)" 65
[ "$(val salt s1.txt)" != "$(val salt s2.txt)" ] && pass "salts differ" || fail "salts differ"

# --- tar input (docker export) ---------------------------------------------
tar -C root -cf root.tar .
check "build from tar" "$KEEL" image build root.tar -o tar.img --board test-board --salt 02
"$KEEL" image sign tar.img --key "$KEY_A" >/dev/null
check "tar image verifies" "$KEEL" image verify tar.img

# --- sign and verify --------------------------------------------------------
cp erofs.img a.img
check "sign" "$KEEL" image sign a.img --key "$KEY_A"
check "verify signed" "$KEEL" image verify a.img
refuse "same key twice" "signed the image already" \
	"$KEEL" image sign a.img --key "$KEY_A"
check "verify --keys keys/test" "$KEEL" image verify a.img --keys "$TESTKEYS"
n=$("$KEEL" image inspect a.img | grep -c '^signature=release:')
same "inspect lists the signature" "$n" 1
kid=$(openssl pkey -pubin -in "$TESTKEYS/release/test-release-a.pub" -outform DER | sha256sum | cut -d' ' -f1)
same "key id is SHA-256 of the SPKI DER" \
	"$("$KEEL" image inspect a.img | sed -n 's/^signature=release://p')" "$kid"

# --- external signatures (OpenSSL) -----------------------------------------
cp erofs.img b.img
"$KEEL" image tbs b.img >b.tbs
same "tbs is 512 bytes" "$(stat -c %s b.tbs)" 512
same "digest is SHA-256 of tbs" "$("$KEEL" image digest b.img)" \
	"$(sha256sum b.tbs | cut -d' ' -f1)"
openssl dgst -sha256 -sign "$KEY_B" -out b.der b.tbs
refuse "attach with the wrong public key" "does not verify" \
	"$KEEL" image attach b.img --sig b.der --pub "$TESTKEYS/release/test-release-a.pub"
cp b.der flipped.der
printf '\001' | dd of=flipped.der bs=1 seek=$(($(stat -c %s b.der) - 3)) conv=notrunc 2>/dev/null
refuse "attach a flipped signature" "signature" \
	"$KEEL" image attach b.img --sig flipped.der --pub "$TESTKEYS/release/test-release-b.pub"
check "attach OpenSSL DER signature" \
	"$KEEL" image attach b.img --sig b.der --pub "$TESTKEYS/release/test-release-b.pub"
check "verify attached signature" "$KEEL" image verify b.img

# raw r||s from the DER signature
cp erofs.img c.img
rs=$(openssl asn1parse -inform DER -in b.der | sed -n 's/.*INTEGER *:\([0-9A-F]*\)/\1/p' |
	while read -r x; do printf '%064s' "$x" | tr ' ' 0; done)
hex2bin "$rs" >c.raw
same "raw signature is 64 bytes" "$(stat -c %s c.raw)" 64
check "attach raw r||s" \
	"$KEEL" image attach c.img --sig c.raw --pub "$TESTKEYS/release/test-release-b.pub"
check "verify raw-attached" "$KEEL" image verify c.img

# wrong role: the signature is valid, the key set has no such role
cp erofs.img d.img
"$KEEL" image attach d.img --sig b.der --pub "$TESTKEYS/release/test-release-b.pub" \
	--role platform >/dev/null
refuse "wrong role refused" "role not in the key set" "$KEEL" image verify d.img

# an OpenSSL-made key set with two roles, each needing one signature
mkdir -p ks/platform ks/release
openssl ecparam -genkey -name prime256v1 -noout -out ks/p.key 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in ks/p.key -out ks/p8.key
openssl ec -in ks/p.key -pubout -out ks/platform/p.pub 2>/dev/null
cp "$TESTKEYS/release/test-release-a.pub" ks/release/
printf 'platform 1\nrelease 1\n' >ks/policy
cp erofs.img e.img
"$KEEL" image sign e.img --key "$KEY_A" --role release >/dev/null
refuse "one role short" "policy: role platform has 0 of 1" \
	"$KEEL" image verify e.img --keys ks
check "sign with a PKCS#8 OpenSSL key" "$KEEL" image sign e.img --key ks/p8.key --role platform
check "two roles verify" "$KEEL" image verify e.img --keys ks
refuse "baked set refuses the unknown signer" "not in the key set" \
	"$KEEL" image verify e.img

# --- tampering through the CLI ----------------------------------------------
size=$(stat -c %s a.img)
meta=$(val meta_offset erofs.txt)
for off in $((meta + 30)) $((meta + 600)) $((meta + 3000)) $((size - 50)) 100 $((meta - 10)); do
	cp a.img t.img
	printf '\377' | dd of=t.img bs=1 seek="$off" conv=notrunc 2>/dev/null
	refuse "flipped byte at $off refused" "keel: image verify: t.img: " \
		"$KEEL" image verify t.img
done
head -c $((size - 1)) a.img >t.img
refuse "truncated refused" "footer" "$KEEL" image verify t.img
head -c 100000 /dev/urandom >garbage.img
refuse "garbage refused" "footer: no keel footer" "$KEEL" image verify garbage.img
refuse "missing file" "No such file" "$KEEL" image verify nope.img
refuse "version 2^64-1 refused at build" "version must be" \
	"$KEEL" image build root -o v.img --board test-board --version 18446744073709551615

# --- key sets that must not build or load ---------------------------------------
mkdir -p empty/release
printf 'release 1\n' >empty/policy
refuse "empty key set refused" "needs 1 signatures but has 0 keys" \
	"$KEEL" image verify a.img --keys empty
printf 'release 0\n' >ks/policy
refuse "zero-signature policy refused" "must need 1" \
	"$KEEL" image verify a.img --keys ks

finish
