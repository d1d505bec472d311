#!/bin/sh
# Stops the libvirtd started by libvirt-up.sh (by its pidfile), leaving running domains alone
# (QEMU processes survive a libvirtd restart). virtlogd keeps running so console logs stay intact.
set -eu
PIDFILE=/var/run/libvirtd.pid
if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        end=$(( $(date +%s) + 20 ))
        while kill -0 "$pid" 2>/dev/null; do
            [ "$(date +%s)" -ge "$end" ] && { echo "libvirt-down: libvirtd $pid did not exit" >&2; exit 1; }
            sleep 0.1
        done
    fi
fi
