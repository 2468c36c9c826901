#!/bin/sh
# SPDX-License-Identifier: MIT
# Downloads Debian binary packages of one architecture (arm64 on an amd64
# machine) without installing them and without touching /etc/apt: the
# machine's own deb sources are copied into a private directory, and apt
# runs with private lists, cache, status and architecture (-o options).
# Usage: scripts/fetch-deb.sh ARCH DIR PACKAGE...
#          downloads each PACKAGE:ARCH into DIR (kept: an existing .deb is
#          not fetched again) and prints the path of each, one per line
#        scripts/fetch-deb.sh ARCH --depends META
#          prints the versioned package META depends on
#          (linux-image-arm64 -> linux-image-6.1.0-N-arm64)
# Env: KEEL_APT_DIR (build/apt): the state goes to KEEL_APT_DIR/bin-ARCH.
set -eu
arch=$1 dir=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
apt=${KEEL_APT_DIR:-$top/build/apt}/bin-$arch

die() { echo "keel: fetch-deb: $*" >&2; exit 1; }
case "$arch" in
amd64 | arm64) ;;
*) die "unknown Debian architecture $arch" ;;
esac
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" \
	"$apt/cache/archives/partial"
# One apt at a time per private state dir (parallel make fetches several).
exec 9>"$apt/lock"
flock 9

opts="-o Dir::Etc::SourceList=/dev/null
 -o Dir::Etc::SourceParts=$apt/sources.list.d
 -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
 -o Dir::State::status=$apt/status
 -o APT::Architecture=$arch -o APT::Architectures=$arch
 -o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq"

if [ ! -f "$apt/updated" ]; then
	rm -f "$apt/sources.list.d/"*
	# deb822 files and one-line lists: the "deb" entries, as they are
	# (an entry limited to other architectures yields nothing for ARCH).
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		cp "$f" "$apt/sources.list.d/"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		grep -E '^[[:space:]]*deb[[:space:]]' "$f" \
			>>"$apt/sources.list.d/derived.list" || true
	done
	: >"$apt/status"
	# shellcheck disable=SC2086
	apt-get $opts update >/dev/null || die "apt-get update ($arch) failed"
	touch "$apt/updated"
fi

if [ "$dir" = --depends ]; then
	# shellcheck disable=SC2086
	apt-cache $opts depends "$1:$arch" 2>/dev/null |
		sed -n 's/^ *Depends: \([^ :<>]*\).*$/\1/p' | head -n 1
	exit 0
fi

mkdir -p "$dir"
for p in "$@"; do
	# shellcheck disable=SC2086
	ver=$(apt-cache $opts show --no-all-versions "$p:$arch" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] || die "no package $p for $arch"
	# The file name apt gives: an epoch's ':' is written %3a.
	deb=$dir/${p}_$(echo "$ver" | sed 's/:/%3a/')_$arch.deb
	if [ ! -f "$deb" ]; then
		# shellcheck disable=SC2086
		(cd "$dir" && apt-get $opts download "$p:$arch" >/dev/null) ||
			die "apt-get download $p:$arch failed"
	fi
	[ -f "$deb" ] || die "$deb: not where apt put it"
	echo "$deb"
done
