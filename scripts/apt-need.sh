#!/bin/sh
# Installs the named Debian packages that are missing (apt-get update first; sudo when not root).
#   scripts/apt-need.sh [--no-start] PACKAGE...
# --no-start: the services the packages' maintainer scripts would start (openssh-server's sshd)
# are not started: a policy-rc.d that refuses every start (exit 101, see invoke-rc.d(8); honoured
# by deb-systemd-invoke too) is in place during the install and removed afterwards, unless one
# was there already (then it is left exactly as it was).
set -eu
no_start=0
if [ "${1:-}" = --no-start ]; then no_start=1; shift; fi
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing:$missing" >&2
policy=/usr/sbin/policy-rc.d
if [ "$no_start" = 1 ] && [ ! -e "$policy" ]; then
    trap '$SUDO rm -f "$policy"' EXIT
    trap 'exit 130' INT TERM
    printf '#!/bin/sh\n# scripts/apt-need.sh --no-start: no service starts during this install\nexit 101\n' \
        | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 0755 "$policy"
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
