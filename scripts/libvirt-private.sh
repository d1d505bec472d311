#!/bin/sh
# A private, unprivileged libvirtd for tests that must restart a daemon or make it listen on TCP,
# so the system libvirtd is never touched. It is the session daemon of a test user (created when
# missing), with its config, sockets, logs and domains under DIR, listening on 127.0.0.1:PORT
# without auth (loopback only). Root reaches it at
#   qemu+unix:///session?socket=DIR/run/libvirt/libvirt-sock   and   qemu+tcp://127.0.0.1:PORT/session
#
#   libvirt-private.sh up DIR PORT   set DIR up (first time) and start libvirtd; waits until it answers
#   libvirt-private.sh down DIR      stop libvirtd (domains and virtlogd keep running)
#   libvirt-private.sh purge DIR     destroy its domains, stop libvirtd and virtlogd, remove DIR,
#                                    and the test user when `up` created it
# Processes are stopped by their pidfiles under DIR only.
set -eu
USER_NAME=${UNITOP_LIBVIRT_TEST_USER:-unitop-lvtest}
DEADLINE_SECONDS=${LIBVIRT_UP_TIMEOUT:-30}
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: $0 up DIR PORT | down DIR | purge DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "libvirt-private: must run as root" >&2; exit 1; }
case "$DIR" in /*) ;; *) echo "libvirt-private: DIR must be absolute" >&2; exit 2 ;; esac
SOCK=$DIR/run/libvirt/libvirt-sock
URI="qemu+unix:///session?socket=$SOCK"

. "$(dirname "$0")/daemon-lib.sh"

case "$cmd" in
up)
    PORT=${3:-}
    case "$PORT" in ''|*[!0-9]*) echo "libvirt-private: PORT must be a number" >&2; exit 2 ;; esac
    created_user=0
    if ! id "$USER_NAME" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$USER_NAME"
        created_user=1
    fi
    if [ ! -f "$DIR/config/libvirt/libvirtd.conf" ]; then
        mkdir -p "$DIR/config/libvirt" "$DIR/run" "$DIR/cache" "$DIR/home"
        # purge removes the user only if this setup created it.
        [ "$created_user" = 1 ] && echo "$USER_NAME" > "$DIR/created-user"
        cat > "$DIR/config/libvirt/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$PORT"
auth_tcp = "none"
unix_sock_rw_perms = "0700"
CONF
        chown -R "$USER_NAME:" "$DIR"
        chmod 0711 "$DIR"
    fi
    pidfile=$DIR/run/libvirtd.pid
    if ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
        unblocked /usr/bin/setpriv --reuid "$USER_NAME" --regid "$(id -g "$USER_NAME")" --init-groups \
            /usr/bin/env -i HOME="$DIR/home" XDG_CONFIG_HOME="$DIR/config" XDG_RUNTIME_DIR="$DIR/run" \
            XDG_CACHE_HOME="$DIR/cache" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            /usr/sbin/libvirtd --listen -f "$DIR/config/libvirt/libvirtd.conf" -p "$pidfile" -d \
            || { echo "libvirt-private: cannot start libvirtd" >&2; exit 1; }
    fi
    end=$(( $(date +%s) + DEADLINE_SECONDS ))
    until [ -S "$SOCK" ] && virsh -c "$URI" version >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "libvirt-private: libvirtd did not answer on $SOCK within ${DEADLINE_SECONDS}s" >&2
            exit 1
        fi
        sleep 0.1
    done
    ;;
down)
    stop_pidfile "$DIR/run/libvirtd.pid"
    ;;
purge)
    [ -f "$DIR/config/libvirt/libvirtd.conf" ] || { rm -rf "$DIR"; exit 0; }
    if [ -S "$SOCK" ]; then
        for d in $(virsh -c "$URI" list --name 2>/dev/null); do virsh -c "$URI" destroy "$d" >/dev/null 2>&1 || true; done
        for d in $(virsh -c "$URI" list --all --name 2>/dev/null); do virsh -c "$URI" undefine "$d" >/dev/null 2>&1 || true; done
    fi
    for f in "$DIR"/run/libvirt/qemu/run/*.pid; do [ -f "$f" ] && [ "$(basename "$f")" != driver.pid ] && stop_pidfile "$f"; done
    stop_pidfile "$DIR/run/libvirtd.pid"
    stop_pidfile "$DIR/run/libvirt/virtlogd.pid"
    created=$(cat "$DIR/created-user" 2>/dev/null || true)
    rm -rf "$DIR"
    if [ -n "$created" ] && [ "$created" = "$USER_NAME" ]; then
        pkill -KILL -u "$USER_NAME" 2>/dev/null || true
        userdel "$USER_NAME" 2>/dev/null || echo "libvirt-private: cannot remove user $USER_NAME" >&2
    fi
    ;;
*)
    echo "usage: $0 up DIR PORT | down DIR | purge DIR" >&2; exit 2 ;;
esac
