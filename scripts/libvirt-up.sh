#!/bin/sh
# Starts virtlogd, virtlockd and libvirtd (system instance) if they are not running.
# Idempotent; for containers without systemd (run as root). Waits for the libvirtd
# socket with a deadline and exits non-zero with a clear message if it does not appear.
set -eu
SOCK=/var/run/libvirt/libvirt-sock
DEADLINE_SECONDS=${LIBVIRT_UP_TIMEOUT:-30}

if [ "$(id -u)" != 0 ]; then
    echo "libvirt-up: must run as root (starts the system libvirtd)" >&2
    exit 1
fi
mkdir -p /var/run/libvirt /var/log/libvirt/qemu /var/lib/libvirt/images

start_if_missing() {
    # $1 = daemon binary name; exact process-name match so other users' processes are not confused.
    if ! pgrep -x "$1" >/dev/null 2>&1; then
        "/usr/sbin/$1" -d || { echo "libvirt-up: cannot start $1" >&2; exit 1; }
    fi
}
start_if_missing virtlogd
start_if_missing virtlockd
start_if_missing libvirtd

end=$(( $(date +%s) + DEADLINE_SECONDS ))
while :; do
    if [ -S "$SOCK" ] && virsh -c qemu:///system version >/dev/null 2>&1; then
        exit 0
    fi
    if [ "$(date +%s)" -ge "$end" ]; then
        echo "libvirt-up: libvirtd did not answer on $SOCK within ${DEADLINE_SECONDS}s" >&2
        exit 1
    fi
    sleep 0.2
done
