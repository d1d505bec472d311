#!/usr/bin/env bash
# Installs the Debian packages unitop needs to build, test and run, then builds the fixture
# unikernels and the binaries. Idempotent: packages already installed are not reinstalled.
#   scripts/setup.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
config="${1:-debug}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  qemu-system-x86        # the hypervisor the qemu backend drives
  qemu-utils             # qemu-img: the qcow2 disk fixture (make -C fixtures disks)
  libncurses-dev         # ncursesw for the TUI
  libvirt-dev            # the libvirt C API for the libvirt backend
  libssl-dev             # libcrypto's SHA-256: content hashes of images uploaded to remote hosts
  libvirt0               # libvirt.so.0, loaded (dlopen) when the libvirt backend is used
  libvirt-daemon-system  # libvirtd + virtlogd for the libvirt tests
  libvirt-clients        # virsh, used by tests to check what libvirt sees
  gcc make binutils      # build the fixture unikernels
  tmux                   # end-to-end UI tests drive the real binary in tmux
  socat                  # talk to console sockets by hand
  python3                # small checks in fixture scripts
  pkg-config
)
scripts/apt-need.sh "${packages[@]}"

# A second libvirt host reached over real ssh (scripts/libvirt-ssh.sh): Debian's sshd, run only by
# that script on a loopback port with its own config, ssh, and nc (the remote end of libvirt's ssh
# transport, `proxy=netcat`). Installing openssh-server must not leave a system sshd on port 22:
# nothing starts during the install (--no-start), and when this install is what put the package
# here, its service is disabled at boot and a system sshd it started anyway is stopped.
ssh_packages=(openssh-server openssh-client netcat-openbsd)
ssh_server_quiet() {
  local had_server=$1 sshd_before=$2 pid
  [ "$had_server" = 1 ] && return 0
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable ssh.service ssh.socket >/dev/null 2>&1 || true
    if [ -d /run/systemd/system ]; then $SUDO systemctl stop ssh.service ssh.socket >/dev/null 2>&1 || true; fi
  elif command -v update-rc.d >/dev/null 2>&1; then
    $SUDO update-rc.d ssh disable >/dev/null 2>&1 || true
  fi
  pid=$(cat /run/sshd.pid 2>/dev/null || true)
  if [ "$sshd_before" = 0 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "setup: the openssh-server install started a system sshd (pid $pid); stopping it"
    $SUDO kill "$pid" || true
  fi
}
had_server=0
dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q "install ok installed" && had_server=1
sshd_before=0
{ [ -f /run/sshd.pid ] && kill -0 "$(cat /run/sshd.pid)" 2>/dev/null; } && sshd_before=1
scripts/apt-need.sh --no-start "${ssh_packages[@]}"
ssh_server_quiet "$had_server" "$sshd_before"

# /dev/kvm as Debian's udev rule leaves it (0660 root:kvm), where no udev runs to do that (a fresh
# container has it 0600 root:root). libvirt's QEMU runs as libvirt-qemu (group kvm): without access
# it cannot use KVM, and libvirtd probes QEMU's capabilities again on every domain start (~45 s
# each). A device that is already usable by group kvm, or by everyone, is left as it is.
# UNITOP_SETUP_KEEP_KVM=1 leaves the device alone.
kvm_mode_fix() {
  local dev=/dev/kvm
  [ -c "$dev" ] && [ "${UNITOP_SETUP_KEEP_KVM:-0}" != 1 ] || return 0
  [ -e /run/udev/control ] && return 0            # udev runs: its rule decides
  getent group kvm >/dev/null || return 0         # no kvm group (libvirt not installed)
  local mode group
  mode=$(stat -c '%a' "$dev"); group=$(stat -c '%G' "$dev")
  if [ $((8#$mode & 8#006)) -eq 6 ]; then return 0; fi                        # world rw
  if [ "$group" = kvm ] && [ $((8#$mode & 8#060)) -eq 48 ]; then return 0; fi  # group kvm rw
  echo "setup: $dev was $(stat -c '%A %U:%G' "$dev") and no udev runs here; giving it Debian's udev mode (0660 root:kvm) so libvirt's QEMU (group kvm) can use KVM"
  $SUDO chown root:kvm "$dev" && $SUDO chmod 0660 "$dev"
}
kvm_mode_fix

if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; else
    echo "setup: Swift 6.1 or newer is needed (https://www.swift.org/install/linux/) and was not found on PATH" >&2
    exit 1
  fi
fi

make -s -C fixtures
# Release binaries link the Swift runtime and Foundation statically: every `unitop` command and
# every per-instance `unitop-monitor` then starts in about half the time (no ~20 shared libraries
# to load and relocate).
flags=()
[ "$config" = release ] && flags=(--static-swift-stdlib)
swift build -c "$config" "${flags[@]}" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
test -x ".build/$config/unitop" || { echo "setup: build failed" >&2; exit 1; }
