#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches a Debian source package into DIR without touching /etc/apt: a
# private deb-src list is derived from the machine's own apt sources, and
# apt is pointed at it (and at private lists and cache) with -o options.
# Usage: scripts/fetch-src.sh PACKAGE DIR [--tar-only]
set -eu
pkg=$1 dir=$2 mode=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
apt=${KEEL_APT_DIR:-$top/build/apt}

mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial" "$dir"
# One apt at a time per private state dir (parallel make fetches several).
exec 9>"$apt/lock"
flock 9

# deb822 files: turn every "Types: deb" stanza into deb-src.
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	sed -e 's/^Types:.*/Types: deb-src/' "$f" >"$apt/sources.list.d/$(basename "$f")"
done
# one-line format: keep "deb" lines, rewritten to deb-src.
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n -e 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" \
		>>"$apt/sources.list.d/derived.list"
done

opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt/sources.list.d
 -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
 -o APT::Sandbox::User=root -o Debug::NoLocking=1 -qq"

# shellcheck disable=SC2086
if [ ! -f "$apt/updated" ]; then
	apt-get $opts update >/dev/null
	touch "$apt/updated"
fi
cd "$dir"
case "$mode" in
--tar-only)
	# shellcheck disable=SC2086
	apt-get $opts source --download-only --tar-only "$pkg" >/dev/null ;;
*)
	# shellcheck disable=SC2086
	apt-get $opts source --download-only "$pkg" >/dev/null ;;
esac
