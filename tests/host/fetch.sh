# SPDX-License-Identifier: MIT
# keel install from a URL, against Debian's nginx on 127.0.0.1 with a test
# CA made here: a full install over HTTPS, a resume after the connection
# is cut mid-bundle, wrong certificates refused, plain http, a delta
# install that reads only the changed blocks, and redirects.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fleet_lib.sh"

for t in nginx openssl curl python3; do
	if ! command -v $t >/dev/null; then
		skip "needs $t (scripts/deps.sh)"
		finish
		exit
	fi
done
cd "$WORK" || exit 1
trap 'nginx_stop; proxy_stop; t_cleanup' EXIT

# images v1 (factory) and v2 (one file changed), bundles of v2
mkdir -p www root/etc
head -c 3000000 /dev/urandom >root/blob
seq 1 200000 >root/etc/text
mk() { # NAME VERSION
	"$KEEL" image build root -o "$1.img" --version "$2" --board fetch-board \
		>/dev/null &&
		"$KEEL" image sign "$1.img" --key "$KEY_A" >/dev/null &&
		"$KEEL" bundle create "$1.img" -o "www/$1.kb" >/dev/null
}
mk v1 1
echo "one changed line" >>root/etc/text
mk v2 2
"$KEEL" bundle create v2.img -o www/v2-format1.kb --format 1 >/dev/null
size=$(stat -c %s www/v2.kb)
nginx_start "$WORK/ng" "$WORK/www" || { fail "nginx"; finish; exit 1; }
CA=$WORK/ng/pki/ca.pem
U=https://127.0.0.1:$HTTPS_PORT

# --- a full install over HTTPS ---------------------------------------------
check "install over https" "$KEEL" install "$U/v2.kb" -o s1 --ca "$CA" -q
check "installed slot verifies" "$KEEL" image verify s1
same "installed slot is the image" "$(cmp s1 v2.img && echo same)" same
check "format 1 over https" "$KEEL" install "$U/v2-format1.kb" -o s1b \
	--ca "$CA" -q
same "format 1: the image" "$(cmp s1b v2.img && echo same)" same
grep -c 'v2.kb' ng/access.log >/dev/null &&
	same "ranges asked for (206)" \
		"$(grep -c '^206 .*/v2.kb' ng/access.log)" 3

# --- a cut in the middle of the bundle is resumed ----------------------------
proxy_start $((size / 2))
: >ng/access.log
"$KEEL" install "https://127.0.0.1:$PP/v2.kb" -o s2 --ca "$CA" -v \
	>cut.out 2>&1
same "cut mid-bundle: installed" "$?" 0
if grep -q "resuming at byte [1-9][0-9]* after" cut.out; then
	pass "cut mid-bundle: resumed ($(grep -o 'resuming at byte [0-9]*' cut.out))"
else
	fail "cut mid-bundle: no resume"; sed 's/^/    /' cut.out
fi
same "cut: the image" "$(cmp s2 v2.img && echo same)" same
from=$(sed -n 's/.*resuming at byte \([0-9]*\).*/\1/p' cut.out | head -n 1)
same "cut: the resumed request starts there" \
	"$(grep -c "^206 .*\"bytes=${from:-x}-\" GET /v2.kb" ng/access.log)" 1
rx=$(sed -n 's/.*(\([0-9]*\) received).*/\1/p' cut.out)
if [ -n "$rx" ] && [ "$rx" -lt $((size + size / 10)) ]; then
	pass "cut: $rx bytes received for a $size-byte bundle"
else
	fail "cut: received '$rx' for $size"
fi
proxy_stop

# --- refusals: nothing written -------------------------------------------------
refuse "another CA" "not signed by a trusted CA" \
	"$KEEL" install "$U/v2.kb" -o s3 --ca ng/pki/other-ca.pem
refuse "a certificate for another name" "certificate is for another name" \
	"$KEEL" install "https://127.0.0.1:$WRONG_PORT/v2.kb" -o s3 --ca "$CA"
same "refused: no slot file made" "$(ls s3 2>/dev/null)" ""
refuse "a missing bundle" "404" "$KEEL" install "$U/nope.kb" -o s3 --ca "$CA"
refuse "an empty anchor file" "no certificate" \
	"$KEEL" install "$U/v2.kb" -o s3 --ca /dev/null
check "plain http (the signature decides)" "$KEEL" install \
	"http://127.0.0.1:$HTTP_PORT/v2.kb" -o s4 -q
same "plain http: the image" "$(cmp s4 v2.img && echo same)" same

# --- delta: v1 in the running slot, v2 fetched by its changed blocks ----------
cp v1.img running
"$KEEL" install "$U/v2.kb" -o s5 --ca "$CA" --from running -v >delta.out 2>&1
same "delta install over https" "$?" 0
same "delta: the image" "$(cmp s5 v2.img && echo same)" same
read=$(sed -n 's/.*: \([0-9]*\) bundle bytes read.*/\1/p' delta.out)
echo "fetch: delta of a one-line change: $read of $size bundle bytes" \
	"($(grep -o '[0-9]* decoded, [0-9]* copied' delta.out))"
if [ -n "$read" ] && [ "$read" -lt $((size / 10)) ]; then
	pass "delta: $read bundle bytes read, under 10% of $size"
else
	fail "delta: read '$read' of $size"; sed 's/^/    /' delta.out
fi
"$KEEL" install "$U/v2.kb" -o s5 --ca "$CA" --from v2.img -v >same.out 2>&1
same "unchanged image: no data block decoded" \
	"$(sed -n 's/.* \([0-9]*\) decoded.*/\1/p' same.out)" 0

# --- redirects -----------------------------------------------------------------
check "a redirect followed" "$KEEL" install "$U/moved/v2.kb" -o s6 --ca "$CA" \
	-q
same "redirect: the image" "$(cmp s6 v2.img && echo same)" same
finish
