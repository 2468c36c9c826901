#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes a musl-gcc for a foreign architecture from Debian's packages, as
# musl-tools does for the machine's own: Debian's cross compiler
# (gcc-aarch64-linux-gnu, an amd64 package) plus Debian's arm64 musl-dev
# unpacked under the build tree (never installed), its specs file pointed
# at that tree; and Debian's arm64 kernel headers (linux-libc-dev) beside
# it, for the asm/ headers toybox asks for.
# Usage: scripts/cross-musl.sh ARCH OUT_DIR
#   ARCH is aarch64; writes OUT_DIR/musl/bin/musl-gcc (the compiler driver
#   the build calls), OUT_DIR/musl/usr/{include,lib}/aarch64-linux-musl and
#   OUT_DIR/musl/usr/include/aarch64-linux-gnu/asm.
set -eu
arch=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "keel: cross-musl: $*" >&2; exit 1; }
case "$arch" in
aarch64) deb_arch=arm64 gcc=aarch64-linux-gnu-gcc ;;
*) die "no cross build for $arch" ;;
esac
command -v "$gcc" >/dev/null ||
	die "$gcc missing (scripts/deps.sh cross installs it)"

root=$out/musl
debs=$out/debs
triple=$arch-linux-musl
deb=$("$top/scripts/fetch-deb.sh" "$deb_arch" "$debs" musl-dev)
uapi=$("$top/scripts/fetch-deb.sh" "$deb_arch" "$debs" linux-libc-dev)
rm -rf "$root"
mkdir -p "$root/bin"
dpkg-deb -x "$deb" "$root"
dpkg-deb -x "$uapi" "$root"
specs=$root/usr/lib/$triple/musl-gcc.specs
[ -f "$specs" ] && [ -f "$root/usr/lib/$triple/libc.a" ] ||
	die "$deb: no musl-gcc.specs or libc.a"
# The specs name /usr/include/TRIPLE and /usr/lib/TRIPLE: this tree's.
sed -i "s| /usr/| $root/usr/|g; s|-L/usr/|-L$root/usr/|g" "$specs"
! grep -q '[ L]/usr/' "$specs" || die "$specs: a path outside $root remains"
cat >"$root/bin/musl-gcc.tmp" <<EOF
#!/bin/sh
exec $gcc "\$@" -specs "$specs"
EOF
chmod 0755 "$root/bin/musl-gcc.tmp"
mv "$root/bin/musl-gcc.tmp" "$root/bin/musl-gcc"
echo "  MUSL    $root/bin/musl-gcc ($(basename "$deb" .deb), $gcc)"
