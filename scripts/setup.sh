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
  libncurses-dev         # ncursesw for the TUI
  libvirt-dev            # the libvirt C API for the libvirt backend
  libvirt0               # libvirt.so.0, loaded (dlopen) when the libvirt backend is used
  libvirt-daemon-system  # libvirtd + virtlogd for the libvirt tests
  libvirt-clients        # virsh, used by tests to check what libvirt sees
  gcc make binutils      # build the fixture unikernels
  tmux                   # end-to-end UI tests drive the real binary in tmux
  socat                  # talk to console sockets by hand
  python3                # small checks in fixture scripts
  pkg-config
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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
