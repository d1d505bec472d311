#!/bin/sh
# Stops the libvirtd started by libvirt-up.sh (by its pidfile), leaving running domains alone
# (QEMU processes survive a libvirtd restart). virtlogd keeps running so console logs stay intact.
set -eu
PIDFILE=/var/run/libvirtd.pid
if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        end=$(( $(date +%s) + 30 ))
        while kill -0 "$pid" 2>/dev/null; do
            if [ "$(date +%s)" -ge "$end" ]; then
                # Domains survive a libvirtd kill; its state is re-read at the next start.
                echo "libvirt-down: libvirtd $pid ignored SIGTERM for 30 s; sending SIGKILL" >&2
                kill -9 "$pid" 2>/dev/null || true
                sleep 0.5
                break
            fi
            sleep 0.1
        done
    fi
fi
