#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds one third-party library from its Debian source package with the
# target toolchain and keel's flags, as embedded build systems do, and
# installs its archive and public headers under the build tree.
# Usage: scripts/build-dep.sh bearssl|lz4 BUILD_DIR
# Env: CC (musl-gcc), AR (ar), DEP_CFLAGS, DEP_SRC (BUILD_DIR/deps/src:
# where the source tree is unpacked; build directories of other
# architectures share one), DEP_FAST_CFLAGS (bearssl: the flags of
# libbearssl-p256fast.a, its P-256 alone, for a binary whose speed
# matters more than its size; none: not built).
set -eu
pkg=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-musl-gcc}
AR=${AR:-ar}
DEP_CFLAGS=${DEP_CFLAGS:--Os -ffunction-sections -fdata-sections}
src=${DEP_SRC:-$out/deps/src}/$pkg
obj=$out/deps/obj/$pkg
mkdir -p "$out/deps/lib" "$out/include" "$obj"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
export KEEL_APT_DIR=${KEEL_APT_DIR:-$out/apt}

# One fetch per source tree (builds of two architectures may share it).
mkdir -p "$(dirname "$src")"
exec 8>"$src.lock"
flock 8
if [ ! -d "$src/tree" ]; then
	rm -rf "$src"
	"$top/scripts/fetch-src.sh" "$pkg" "$src"
	# dpkg-source applies Debian's patches, as a Debian build would.
	(cd "$src" && dpkg-source -q --no-check -x ./*.dsc tree.tmp >/dev/null)
	mv "$src/tree.tmp" "$src/tree"
fi
flock -u 8
t=$src/tree

case "$pkg" in
bearssl)
	files=$(cd "$t" && find src -name '*.c' | LC_ALL=C sort)
	incs="-I$t/inc -I$t/src"
	hdrs="$t/inc/*.h"
	;;
lz4)
	files="lib/lz4.c lib/lz4frame.c lib/lz4hc.c lib/xxhash.c"
	incs="-I$t/lib"
	hdrs="$t/lib/lz4.h $t/lib/lz4frame.h $t/lib/lz4hc.h"
	;;
*) echo "build-dep: unknown package $pkg" >&2; exit 1 ;;
esac

# One object per source file, two at a time per core.
for f in $files; do echo "$f"; done |
	xargs -P "$(nproc)" -I{} sh -c '
		o="$1/$(echo "$2" | tr / _).o"
		$3 $4 $5 -c "$6/$2" -o "$o"' sh "$obj" {} "$CC" "$DEP_CFLAGS" "$incs" "$t"

rm -f "$out/deps/lib/lib$pkg.a"
# shellcheck disable=SC2046
(cd "$obj" && $AR rcsD "$out/deps/lib/lib$pkg.a" $(ls | LC_ALL=C sort))
# shellcheck disable=SC2086
cp $hdrs "$out/include/"
echo "  DEP     lib$pkg.a (from Debian source $(basename "$src"/*.dsc .dsc))"

if [ "$pkg" = bearssl ] && [ -n "${DEP_FAST_CFLAGS:-}" ]; then
	fast=$out/deps/lib/libbearssl-p256fast.a
	# its object beside obj/bearssl, not in it: not in libbearssl.a
	# shellcheck disable=SC2086
	$CC $DEP_FAST_CFLAGS $incs -c "$t/src/ec/ec_p256_m31.c" \
		-o "$obj.p256fast.o"
	rm -f "$fast"
	$AR rcsD "$fast" "$obj.p256fast.o"
	echo "  DEP     libbearssl-p256fast.a (ec_p256_m31.c: $DEP_FAST_CFLAGS)"
fi
