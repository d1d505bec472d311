#!/bin/sh
# Runs a command where /dev/kvm does not exist: in a private mount namespace whose /dev is a
# tmpfs holding only the usual character devices (null, zero, random, urandom, full, tty, ptmx,
# pts, shm). The host's /dev is untouched; the namespace ends with the command.
#   scripts/without-kvm.sh COMMAND [ARG...]
# Root only (it mounts). Tests use it to check the "no KVM at all" path end to end.
set -eu
[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
if [ "${UNITOP_IN_NO_KVM_NS:-}" != 1 ]; then
    UNITOP_IN_NO_KVM_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
unset UNITOP_IN_NO_KVM_NS
dev=$(mktemp -d /tmp/unitop-nokvm-XXXXXX)
mount -t tmpfs -o mode=0755,size=64k unitop-nokvm "$dev"
for n in null zero full random urandom tty ptmx; do
    if [ -e "/dev/$n" ]; then : > "$dev/$n"; mount --bind "/dev/$n" "$dev/$n"; fi
done
for d in pts shm; do
    if [ -d "/dev/$d" ]; then mkdir "$dev/$d"; mount --bind "/dev/$d" "$dev/$d"; fi
done
ln -s /proc/self/fd "$dev/fd"
mount --rbind "$dev" /dev
umount -l "$dev" && rmdir "$dev"
if [ -e /dev/kvm ]; then echo "without-kvm: /dev/kvm is still there" >&2; exit 1; fi
exec "$@"
