# SPDX-License-Identifier: MIT
# Reference init for make bench: keel-init's job up to the app's exec
# (early mounts, board file, whole-image check, read-only mount, /etc
# overlay, /var/lib bind, app in new namespaces) as a busybox shell script.
#
# Usage, as PID 1 of a pid namespace:
#   [REF_COPY=1] busybox sh ref-init.sh BOARD FSTYPE APP ARGS...
# With REF_COPY=1 the slot is read once into a tmpfs copy, and the copy
# is hashed and mounted (keel-init's guarantee: the mounted bytes are the
# checked ones); without it the file is hashed, then mounted (a medium
# may answer the second read differently).
# BOARD is a keel board file (part.a, part.etc, part.var); the known
# SHA-256 of the whole slot A file, in part.a's value + ".sha256", stands
# in for the signed root hash (sha256sum is the one in PATH). Prints
# "ref-init: app exited status=N" when the app ends, then unmounts.
set -eu
board=$1 fstype=$2
shift 2
root=/run/keel/image

mount -t devtmpfs -o mode=0755 devtmpfs /dev 2>/dev/null || :
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys 2>/dev/null || :
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup \
	2>/dev/null || :

img= etc= var=
while IFS='=' read -r key val; do
	case $key in
	part.a) img=$val ;;
	part.etc) etc=$val ;;
	part.var) var=$val ;;
	esac
done <"$board"

read -r want _ <"$img.sha256"
if [ "${REF_COPY:-0}" = 1 ]; then
	cp "$img" /run/slot.img
	img=/run/slot.img
fi
got=$(sha256sum "$img")
if [ "${got%% *}" != "$want" ]; then
	echo "ref-init: $img: REFUSED: hash mismatch"
	exit 1
fi

mkdir -p "$root" "$etc/upper" "$etc/work"
mount -t "$fstype" -o loop,ro,nodev "$img" "$root"
mount -t overlay -o "lowerdir=$root/etc,upperdir=$etc/upper,workdir=$etc/work" \
	overlay "$root/etc"
mount -o bind "$var" "$root/var/lib"

status=0
unshare -fmpiu chroot "$root" "$@" || status=$?
echo "ref-init: app exited status=$status"
umount "$root/var/lib" "$root/etc" "$root"
