#!/bin/sh
# A second libvirt host for tests, reached over real ssh, sharing nothing with the system one: the
# private session libvirtd of the unprivileged test user (scripts/libvirt-private.sh, everything
# under DIR), and Debian's sshd on 127.0.0.1:SSH_PORT with its own config, host key and a key pair
# made for the test, all under DIR. That daemon cannot read root's files, and its QEMU cannot use
# KVM (the test user is not in group kvm): guests there run on TCG.
#
#   libvirt-ssh.sh up DIR LIBVIRT_PORT SSH_PORT   set DIR up (first time), start what is not running
#                                                 (libvirtd, sshd), wait until virsh answers through
#                                                 ssh, print the URI (also written to DIR/ssh/uri)
#   libvirt-ssh.sh libvirtd-down DIR              stop only libvirtd (sshd stays); `up` restarts it
#   libvirt-ssh.sh down DIR                       stop sshd (with its sessions) and libvirtd
#   libvirt-ssh.sh purge DIR                      stop everything, remove DIR, and undo what `up` did
#                                                 to the test user (removed with its home only when
#                                                 `up` created it)
#
# The URI (root reaches the daemon as the test user, through ssh):
#   qemu+ssh://unitop-sshtest@127.0.0.1:SSH_PORT/session?keyfile=DIR/ssh/id_ed25519&no_tty=1
#       &proxy=netcat&socket=DIR/run/libvirt/libvirt-sock&command=DIR/ssh/ssh
# - proxy=netcat with socket=: the remote end is `nc -U DIR/run/libvirt/libvirt-sock` (Debian's
#   netcat-openbsd): it reaches exactly the private daemon, and fails while that one is stopped.
#   (The default proxy, virt-ssh-helper, picks the socket from the ssh session's environment and
#   may autostart a session daemon; sshd sets XDG_RUNTIME_DIR=DIR/run and LIBVIRT_AUTOSTART=0 for
#   it, so a URI without proxy= and socket= reaches the same daemon too.)
# - command=: libvirt runs DIR/ssh/ssh instead of `ssh`: /usr/bin/ssh with a private client config
#   (-F DIR/ssh/ssh_config) whose known_hosts is DIR/ssh/known_hosts, holding this sshd's host key.
#   The host key is really checked and root's ~/.ssh is never read or written. (libvirt's
#   known_hosts= parameter applies to the libssh transports only; no_verify=1 makes ssh add the
#   key to ~/.ssh/known_hosts.)
# - no_tty=1: ssh runs in batch mode and never prompts.
# The test user, unitop-sshtest (UNITOP_LIBVIRT_SSH_USER), gets a shell (/bin/sh), a home it owns
# (/home/unitop-sshtest, where a remote storage pool may go) and an unlocked password field ('*':
# no password works, but sshd without PAM refuses a locked '!' account). It is not libvirt-private.sh's
# usual unitop-lvtest (nologin, no home): suites using that one may run beside this, and their
# purge removes that user. Hosts set up side by side share the user; the last purge undoes it.
# Needs root, openssh-server, openssh-client, netcat-openbsd and libvirt (scripts/setup.sh).
# Processes are stopped by their pidfiles under DIR (and sshd's connection processes by parent pid).
set -eu
USER_NAME=${UNITOP_LIBVIRT_SSH_USER:-unitop-sshtest}
export UNITOP_LIBVIRT_TEST_USER="$USER_NAME"
USER_HOME=/home/$USER_NAME
DEADLINE_SECONDS=${LIBVIRT_UP_TIMEOUT:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
PRIVATE=$HERE/libvirt-private.sh
usage="usage: $0 up DIR LIBVIRT_PORT SSH_PORT | libvirtd-down DIR | down DIR | purge DIR"
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "$usage" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "libvirt-ssh: must run as root" >&2; exit 1; }
case "$DIR" in /*) ;; *) echo "libvirt-ssh: DIR must be absolute" >&2; exit 2 ;; esac
case "$DIR" in *[!A-Za-z0-9/._-]*) echo "libvirt-ssh: DIR may hold only letters, digits and / . _ -" >&2; exit 2 ;; esac
SSHDIR=$DIR/ssh
SOCK=$DIR/run/libvirt/libvirt-sock

. "$HERE/daemon-lib.sh"

fail() { echo "libvirt-ssh: $*" >&2; exit 1; }

# Whether the process in pidfile $1 runs.
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# What `up` did to the test user is shared by every DIR using it at once (two suites running side by
# side): REGISTRY/user holds it (created=1, or the old home/shell/password), REGISTRY/dirs one entry
# per DIR. The first `up` prepares the user, the last `purge` undoes it. Both hold a lock on /run
# (flock(1) on the directory: nothing is left behind).
REGISTRY=/run/unitop-libvirt-ssh/$USER_NAME
dir_key() { printf '%s' "$DIR" | md5sum | cut -c1-16; }
lock_users() { exec 9</run; flock 9; }
unlock_users() { flock -u 9; exec 9<&-; }

# Makes the test user able to log in over ssh; notes in REGISTRY/user what the last purge must undo.
prepare_user() {
    if ! id "$USER_NAME" >/dev/null 2>&1; then
        useradd --system --create-home --home-dir "$USER_HOME" --shell /bin/sh --password '*' "$USER_NAME"
        echo "created=1" > "$REGISTRY/user"
        return
    fi
    # An existing user (one left behind, or made elsewhere): change only what is missing, and keep
    # the old values for purge.
    old_home=$(getent passwd "$USER_NAME" | cut -d: -f6)
    old_shell=$(getent passwd "$USER_NAME" | cut -d: -f7)
    old_password=$(getent shadow "$USER_NAME" | cut -d: -f2)
    { echo "created=0"; echo "home=$old_home"; echo "shell=$old_shell"; echo "password=$old_password"; } > "$REGISTRY/user"
    case "$old_shell" in ''|*/nologin|*/false) usermod --shell /bin/sh "$USER_NAME" ;; esac
    case "$old_password" in '!'*) usermod --password '*' "$USER_NAME" ;; esac
    [ "$old_home" = "$USER_HOME" ] && [ -d "$USER_HOME" ] && return
    if [ -e "$USER_HOME" ]; then
        [ "$(stat -c %U "$USER_HOME")" = "$USER_NAME" ] || fail "$USER_HOME exists and is not owned by $USER_NAME"
    else
        mkdir -m 0755 "$USER_HOME"
        chown "$USER_NAME:" "$USER_HOME"
        echo "created_home=1" >> "$REGISTRY/user"
    fi
    usermod --home "$USER_HOME" "$USER_NAME" || fail "cannot give $USER_NAME the home $USER_HOME (is it in use?)"
}

# Registers DIR as a user of the test user, preparing the user first when nobody uses it yet.
register_dir() {
    lock_users
    mkdir -p "$REGISTRY/dirs"
    [ -f "$REGISTRY/user" ] || prepare_user
    echo "$DIR" > "$REGISTRY/dirs/$(dir_key)"
    unlock_users
}

# Drops DIR (and entries whose DIR is gone); the last one puts the test user back as `up` found it.
unregister_dir() {
    lock_users
    rm -f "$REGISTRY/dirs/$(dir_key)"
    for e in "$REGISTRY"/dirs/*; do
        [ -f "$e" ] && [ ! -d "$(cat "$e")" ] && rm -f "$e"
    done
    if [ -f "$REGISTRY/user" ] && [ -z "$(ls -A "$REGISTRY/dirs" 2>/dev/null)" ]; then
        restore_user "$REGISTRY/user"
        # /run/sshd goes when `up` made it and no sshd runs any more.
        if [ -f "$REGISTRY/made-run-sshd" ] && ! pgrep -x sshd >/dev/null 2>&1; then rmdir /run/sshd 2>/dev/null || true; fi
        rm -rf "$REGISTRY"
        rmdir "$(dirname "$REGISTRY")" 2>/dev/null || true
    fi
    unlock_users
}

# Puts the test user back as the record $1 says `up` found it.
restore_user() {
    record=$1
    value() { sed -n "s/^$1=//p" "$record" | head -n 1; }
    # Its processes are gone once libvirtd, virtlogd, QEMU and the ssh sessions are.
    end=$(( $(date +%s) + 15 ))
    while pgrep -u "$USER_NAME" >/dev/null 2>&1; do
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "libvirt-ssh: $USER_NAME still runs: $(pgrep -a -u "$USER_NAME" | tr '\n' ';')" >&2
            break
        fi
        sleep 0.1
    done
    id "$USER_NAME" >/dev/null 2>&1 || return 0
    if [ "$(value created)" = 1 ]; then
        userdel --remove "$USER_NAME" 2>/dev/null || echo "libvirt-ssh: cannot remove user $USER_NAME" >&2
        return 0
    fi
    usermod --shell "$(value shell)" --home "$(value home)" --password "$(value password)" "$USER_NAME" \
        || echo "libvirt-ssh: cannot restore user $USER_NAME" >&2
    [ "$(value created_home)" = 1 ] && rm -rf "$USER_HOME"
    return 0
}

# Keys (first time) and the configs of sshd and of the ssh client, for SSH_PORT.
write_ssh_files() {
    port=$1
    [ -f "$SSHDIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "unitop-test-client" -f "$SSHDIR/id_ed25519"
    [ -f "$SSHDIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "unitop-test-host" -f "$SSHDIR/host_ed25519"
    # `restrict`: no forwarding, agent, X11 or pty; commands run as on any host.
    echo "restrict $(cat "$SSHDIR/id_ed25519.pub")" > "$SSHDIR/authorized_keys"
    echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$SSHDIR/host_ed25519.pub")" > "$SSHDIR/known_hosts"
    # StrictModes no: DIR may be under /tmp (world-writable), which StrictModes refuses on the way
    # up from the keys file; every file here is root's and not writable by the user.
    cat > "$SSHDIR/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $SSHDIR/host_ed25519
PidFile $SSHDIR/sshd.pid
AuthorizedKeysFile $SSHDIR/authorized_keys
StrictModes no
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $USER_NAME
PermitTTY no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
X11Forwarding no
PermitTunnel no
PermitUserEnvironment no
PrintMotd no
PrintLastLog no
# For virt-ssh-helper (the default proxy): the session's runtime directory is the private daemon's,
# and it must never autostart a daemon.
SetEnv XDG_RUNTIME_DIR=$DIR/run XDG_CONFIG_HOME=$DIR/config XDG_CACHE_HOME=$DIR/cache LIBVIRT_AUTOSTART=0
LogLevel VERBOSE
CONF
    cat > "$SSHDIR/ssh_config" <<CONF
Host *
    UserKnownHostsFile $SSHDIR/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    CheckHostIP no
    UpdateHostKeys no
    IdentitiesOnly yes
    IdentityFile $SSHDIR/id_ed25519
    IdentityAgent none
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    BatchMode yes
    ControlMaster no
    ConnectTimeout 10
    ServerAliveInterval 5
    ServerAliveCountMax 3
    LogLevel ERROR
CONF
    printf '#!/bin/sh\n# ssh for libvirt (its command= URI parameter), with the client config of this test host only\nexec /usr/bin/ssh -F %s "$@"\n' \
        "$SSHDIR/ssh_config" > "$SSHDIR/ssh"
    chmod 0755 "$SSHDIR/ssh"
    chmod 0644 "$SSHDIR/authorized_keys" "$SSHDIR/known_hosts" "$SSHDIR/sshd_config" "$SSHDIR/ssh_config"
    echo "qemu+ssh://$USER_NAME@127.0.0.1:$port/session?keyfile=$SSHDIR/id_ed25519&no_tty=1&proxy=netcat&socket=$SOCK&command=$SSHDIR/ssh" \
        > "$SSHDIR/uri"
}

start_sshd() {
    alive "$SSHDIR/sshd.pid" && return 0
    # sshd's privilege separation directory; removed by the last purge when `up` made it.
    if [ ! -d /run/sshd ]; then
        mkdir -m 0755 /run/sshd
        echo 1 > "$REGISTRY/made-run-sshd"
    fi
    /usr/sbin/sshd -t -f "$SSHDIR/sshd_config" || fail "sshd refuses $SSHDIR/sshd_config"
    unblocked /usr/sbin/sshd -f "$SSHDIR/sshd_config" -E "$SSHDIR/sshd.log" || fail "cannot start sshd (see $SSHDIR/sshd.log)"
}

# Stops sshd, then the connection processes it had forked (they outlive the listener).
stop_sshd() {
    pidfile=$SSHDIR/sshd.pid
    alive "$pidfile" || { rm -f "$pidfile"; return 0; }
    children=$(pgrep -P "$(cat "$pidfile")" 2>/dev/null || true)
    stop_pidfile "$pidfile"
    for c in $children; do kill "$c" 2>/dev/null || true; done
    end=$(( $(date +%s) + 10 ))
    for c in $children; do
        while kill -0 "$c" 2>/dev/null; do
            if [ "$(date +%s)" -ge "$end" ]; then kill -9 "$c" 2>/dev/null || true; break; fi
            sleep 0.1
        done
    done
    rm -f "$pidfile"
}

case "$cmd" in
up)
    LIBVIRT_PORT=${3:-}
    SSH_PORT=${4:-}
    case "$LIBVIRT_PORT$SSH_PORT" in ''|*[!0-9]*) echo "$usage" >&2; exit 2 ;; esac
    [ -n "$LIBVIRT_PORT" ] && [ -n "$SSH_PORT" ] || { echo "$usage" >&2; exit 2; }
    for tool in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen nc virsh; do
        command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (scripts/setup.sh installs it)"
    done
    first=0
    if [ ! -d "$SSHDIR" ]; then
        first=1
        mkdir -p "$SSHDIR"
        chmod 0700 "$SSHDIR"
        register_dir
    fi
    "$PRIVATE" up "$DIR" "$LIBVIRT_PORT" || fail "the private libvirtd did not start"
    if [ "$first" = 1 ]; then
        # libvirt-private.sh gave DIR to the test user the first time: the ssh files stay root's.
        chown -R root:root "$SSHDIR"
        chmod 0711 "$SSHDIR"
    fi
    alive "$SSHDIR/sshd.pid" || write_ssh_files "$SSH_PORT"
    start_sshd
    URI=$(cat "$SSHDIR/uri")
    end=$(( $(date +%s) + DEADLINE_SECONDS ))
    until virsh -c "$URI" version >/dev/null 2>"$SSHDIR/virsh.err"; do
        if grep -qE "fatal|Cannot bind" "$SSHDIR/sshd.log" 2>/dev/null; then
            echo "libvirt-ssh: sshd failed on 127.0.0.1:$SSH_PORT:" >&2
            tail -n 5 "$SSHDIR/sshd.log" >&2
            exit 1
        fi
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "libvirt-ssh: virsh did not reach the daemon through ssh within ${DEADLINE_SECONDS}s: $(cat "$SSHDIR/virsh.err")" >&2
            tail -n 5 "$SSHDIR/sshd.log" >&2 2>/dev/null || true
            exit 1
        fi
        sleep 0.1
    done
    echo "$URI"
    ;;
libvirtd-down)
    "$PRIVATE" down "$DIR"
    ;;
down)
    stop_sshd
    "$PRIVATE" down "$DIR"
    ;;
purge)
    [ -d "$DIR" ] || exit 0
    stop_sshd
    "$PRIVATE" purge "$DIR" || echo "libvirt-ssh: purging the private libvirtd failed" >&2
    rm -rf "$DIR"
    unregister_dir
    ;;
*)
    echo "$usage" >&2; exit 2 ;;
esac
