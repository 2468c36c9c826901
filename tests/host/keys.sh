# SPDX-License-Identifier: MIT
# Keys: keel keygen output read by openssl, openssl keys (SEC1, PKCS#8)
# used by keel through a key-set directory, key ids, refusals.
. "$(dirname "$0")/../lib.sh"

cd "$WORK" || exit 1
if ! command -v openssl >/dev/null; then
	skip "openssl not installed"
	finish
	exit
fi

keyid() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# --- keel keygen -----------------------------------------------------------
"$KEEL" keygen -o k1 >id1.txt 2>err.txt
same "keygen exit 0" "$?" 0
same "keygen prints nothing on stderr" "$(cat err.txt)" ""
check "openssl ec -check reads NAME.key" openssl ec -in k1.key -check -noout
check "openssl pkey reads NAME.pub" openssl pkey -pubin -in k1.pub -noout
same "key id is sha256 of the SPKI DER" "$(cat id1.txt)" "$(keyid k1.pub)"
same "NAME.key mode 0600" "$(stat -c %a k1.key)" 600
same "NAME.key is SEC1 PEM" "$(head -n 1 k1.key)" "-----BEGIN EC PRIVATE KEY-----"
same "NAME.pub is SPKI PEM" "$(head -n 1 k1.pub)" "-----BEGIN PUBLIC KEY-----"
same "curve is P-256" \
	"$(openssl ec -in k1.key -text -noout 2>/dev/null | sed -n 's/^ASN1 OID: //p')" \
	prime256v1
same "NAME.pub matches NAME.key" \
	"$(openssl ec -in k1.key -pubout 2>/dev/null)" "$(cat k1.pub)"

# The same permissions whatever the umask.
(umask 0; "$KEEL" keygen -o k0 >/dev/null)
same "NAME.key mode 0600 under umask 0" "$(stat -c %a k0.key)" 600

# Two runs give two keys.
"$KEEL" keygen -o k2 >id2.txt
if [ "$(cat id1.txt)" != "$(cat id2.txt)" ]; then pass "fresh key each run"
else fail "two keygen runs gave the same key"; fi

cp k1.key k1.key.orig
refuse "no overwrite of NAME.key" "keel: keygen: k1.key: file exists" \
	"$KEEL" keygen -o k1
check "NAME.key untouched" cmp k1.key k1.key.orig
rm k2.key
refuse "no overwrite of NAME.pub alone" "keel: keygen: k2.pub: file exists" \
	"$KEEL" keygen -o k2
[ ! -e k2.key ] && pass "nothing written when refusing" || fail "k2.key written"
check "--force overwrites" "$KEEL" keygen -o k1 --force
if cmp -s k1.key k1.key.orig; then fail "--force kept the old key"
else pass "--force makes a new key"; fi
same "--force keeps mode 0600" "$(stat -c %a k1.key)" 600

"$KEEL" keygen --help >help.txt 2>&1
same "--help exit 0" "$?" 0
grep -q "keel keygen -o NAME" help.txt && pass "--help usage" || fail "--help usage"
"$KEEL" keygen >/dev/null 2>&1
same "no -o is a usage error" "$?" 2
refuse "unwritable directory" "^keel: keygen: $WORK/nodir/x.key: No such file" \
	"$KEEL" keygen -o "$WORK/nodir/x"
"$KEEL" keygen -o "$WORK/nodir/x" 2>err.txt
same "error is one line" "$(wc -l <err.txt)" 1

# --- keys made by openssl, used by keel -------------------------------------
openssl ecparam -genkey -name prime256v1 -noout -out o1.key
openssl ec -in o1.key -pubout -out o1.pub 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in o1.key -out o1p8.key
openssl ecparam -genkey -name prime256v1 -out o2.key # with EC PARAMETERS
openssl ec -in o2.key -pubout -out o2.pub 2>/dev/null
openssl ecparam -genkey -name secp384r1 -noout -out p384.key
openssl ec -in p384.key -pubout -out p384.pub 2>/dev/null

mkdir -p root/etc
echo keys >root/etc/hello
check "image build" "$KEEL" image build root -o base.img --board test-board --salt 00

mkset() { # DIR PUB...: a key set needing one release signature
	d=$1; shift
	mkdir -p "$d/release"
	echo "release 1" >"$d/policy"
	for p in "$@"; do cp "$p" "$d/release/"; done
}
mkset set-o1 o1.pub
mkset set-o2 o2.pub
mkset set-k1 k1.pub

for key in o1.key o1p8.key; do
	cp base.img $key.img
	check "sign with openssl $key" "$KEEL" image sign $key.img --key $key
	check "verify $key against openssl .pub" \
		"$KEEL" image verify $key.img --keys set-o1
	refuse "$key refused by another key set" "signature" \
		"$KEEL" image verify $key.img --keys set-k1
done
cp base.img o2.img
check "sign with ecparam key (EC PARAMETERS block)" \
	"$KEEL" image sign o2.img --key o2.key
check "verify with its .pub" "$KEEL" image verify o2.img --keys set-o2
cp base.img id.img
"$KEEL" image sign id.img --key o1p8.key >sign.txt 2>&1
grep -q "$(keyid o1.pub)" sign.txt && pass "sign reports openssl's key id" ||
	fail "sign output lacks the key id: $(cat sign.txt)"

# keel's key signs through openssl (an external signer) and verifies in keel.
cp base.img ext.img
"$KEEL" image tbs ext.img >tbs.bin
openssl dgst -sha256 -sign k1.key -out ext.sig tbs.bin
check "attach openssl signature by keel key" \
	"$KEEL" image attach ext.img --sig ext.sig --pub k1.pub
check "verify it" "$KEEL" image verify ext.img --keys set-k1
# And keel's signature of the same bytes verifies in openssl.
cp base.img own.img
"$KEEL" image sign own.img --key k1.key >/dev/null
"$KEEL" image digest own.img >digest.txt
same "digest is sha256 of tbs" "$(cut -d' ' -f1 digest.txt)" \
	"$(sha256sum tbs.bin | cut -d' ' -f1)"

# --- refusals ----------------------------------------------------------------
cp base.img p384.img
refuse "P-384 private key refused" "P-384" \
	"$KEEL" image sign p384.img --key p384.key
mkset set-p384 p384.pub
refuse "P-384 public key refused" "P-384" \
	"$KEEL" image verify o1.key.img --keys set-p384
openssl ec -in o1.key -pubout -conv_form compressed -out comp.pub 2>/dev/null
mkset set-comp comp.pub
refuse "compressed point refused" "compressed" \
	"$KEEL" image verify o1.key.img --keys set-comp
mkset set-priv
cp o1.key set-priv/release/o1.pub
refuse "private key as .pub refused" "private key" \
	"$KEEL" image verify o1.key.img --keys set-priv
openssl pkcs8 -topk8 -in o1.key -passout pass:x -out enc.key 2>/dev/null
refuse "encrypted key refused" "encrypted" \
	"$KEEL" image sign o1.key.img --key enc.key
head -c 150 k1.key >cut.key
refuse "truncated key refused" "private key" \
	"$KEEL" image sign o1.key.img --key cut.key

finish
