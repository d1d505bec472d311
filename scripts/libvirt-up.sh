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

# Runs a command with no signals blocked. A caller such as a Swift test inherits a signal mask
# from a Dispatch thread that blocks SIGTERM; a daemon started with it could never be stopped.
unblocked() {
    if ! command -v python3 >/dev/null 2>&1; then "$@"; return; fi
    python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])' "$@"
}

# Whether the system instance of daemon $1 runs (by its pidfile: a per-user session daemon of the
# same name must not count).
running() {
    [ -f "/var/run/$1.pid" ] && kill -0 "$(cat "/var/run/$1.pid")" 2>/dev/null
}

start_if_missing() {
    if ! running "$1"; then
        unblocked "/usr/sbin/$1" -d || { echo "libvirt-up: cannot start $1" >&2; exit 1; }
    fi
}

# LIBVIRTD_ARGS: extra libvirtd arguments, e.g. "--listen -f /tmp/listen.conf" (tests).
LIBVIRTD_ARGS=${LIBVIRTD_ARGS:-}
start_if_missing virtlogd
start_if_missing virtlockd
if ! running libvirtd; then
    # shellcheck disable=SC2086
    unblocked /usr/sbin/libvirtd -d $LIBVIRTD_ARGS || { echo "libvirt-up: cannot start libvirtd" >&2; exit 1; }
fi

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
