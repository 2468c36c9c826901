#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages keel's build, tests and benchmarks need,
# only those that are missing. Safe to run again; does nothing when all
# are present. Usage: scripts/deps.sh [build|cross|kernel|demo|all]
# (cross: the arm64 build's compiler and the user-mode emulator that runs
# its binaries at link time; all amd64 packages, nothing of arm64 is
# installed: Debian's arm64 musl and kernel are unpacked in the build tree)
set -eu

build_pkgs="musl-tools dpkg-dev make gcc xz-utils"
test_pkgs="erofs-utils squashfs-tools cryptsetup-bin openssl clang
	libclang-rt-14-dev e2fsprogs kmod cpio qemu-system-x86 umoci
	util-linux tar gdisk fdisk lz4 clang-format python3 binutils
	busybox-static qemu-system-arm swtpm nginx-light curl mmdebstrap time"
bench_pkgs="hyperfine bubblewrap crun rauc dbus-daemon"
cross_pkgs="gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-user-static"
kernel_pkgs="flex bison bc libelf-dev"
demo_pkgs="erofs-utils e2fsprogs kmod cpio qemu-system-x86 qemu-system-arm"

case "${1:-all}" in
build) want="$build_pkgs" ;;
cross) want="$build_pkgs $cross_pkgs" ;;
kernel) want="$build_pkgs $kernel_pkgs" ;;
demo) want="$build_pkgs $demo_pkgs" ;;
*) want="$build_pkgs $cross_pkgs $test_pkgs $bench_pkgs" ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "keel: deps: missing Debian packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "keel: deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
