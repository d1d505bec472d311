#!/usr/bin/env bash
# Checks what a person installing unitop gets, leaving nothing on the host:
#   1. `make install` into a temporary DESTDIR: the installed binary runs a guest (finding
#      unitop-monitor in libexec/unitop), the TUI finds a shipped theme, `man -l` renders the page,
#      the completion scripts parse; `make uninstall` removes exactly what install put there;
#   2. `make deb`: control fields, file list, lintian without errors; then `apt-get install` of the
#      package, a guest run, listed and stopped with /usr/bin/unitop, and `apt-get purge`, after
#      which none of the package's files remain;
#   3. the upgrade test (scripts/upgrade-test.sh).
# Ends with "N passed, N failed". Needs root (it installs a package) unless UNITOP_SKIP_DEB_INSTALL=1.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="/opt/swift/usr/bin:$PATH"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
scripts/apt-need.sh man-db tmux dpkg-dev fakeroot lintian
make -s -C fixtures >/dev/null

. "$ROOT/scripts/check-lib.sh"
tmp=$(mktemp -d /tmp/ut-pkg-XXXXXX)
home=$tmp/home; mkdir -p "$home"
export UNITOP_HOME=$home/state XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data UNITOP_RUNTIME_DIR=$home/run
unset UNITOP_MONITOR_BIN UNITOP_BIN
cleanup() {
    for u in "$tmp/destdir/usr/local/bin/unitop" /usr/bin/unitop; do
        [ -x "$u" ] && "$u" rm --force pkg-hello >/dev/null 2>&1
    done
    tmux -S "$tmp/tmux.sock" kill-server 2>/dev/null
    pkill -KILL -f "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "package-test: make install (static release build)"
dest=$tmp/destdir
make -s install DESTDIR="$dest" >/dev/null || { echo "package-test: make install failed" >&2; exit 1; }
bin=$dest/usr/local/bin/unitop
check "installed: bin/unitop" test -x "$bin"
check "installed: libexec/unitop/unitop-monitor" test -x "$dest/usr/local/libexec/unitop/unitop-monitor"
check "installed: themes" test -f "$dest/usr/local/share/unitop/themes/default.toml"
check "--version names the version and the commit" sh -c "'$bin' --version | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{12}'"
check "the installed binary runs a guest (monitor found in libexec)" "$bin" run "$ROOT/fixtures/build/hello.elf" --name pkg-hello --accel tcg --detach
check "it is running" wait_state "$bin" pkg-hello running
check "its log is read" sh -c "'$bin' logs pkg-hello --raw | grep -q 'unitop-fixture hello booted'"
check "stopped" sh -c "'$bin' stop pkg-hello --timeout 1 && '$bin' rm pkg-hello"
# The TUI with a shipped theme that only the installed share/unitop/themes holds for this binary.
tmux -S "$tmp/tmux.sock" new-session -d -s t -x 120 -y 30 "TERM=xterm-256color '$bin' --theme solarized-dark; echo exit=\$? > '$tmp/tui.status'; sleep 30"
tui_up() {
    local end=$(( $(date +%s) + 20 ))
    until tmux -S "$tmp/tmux.sock" capture-pane -p -t t 2>/dev/null | grep -q "Instances"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2; done
}
check "the TUI starts with a shipped theme" tui_up
check "and finds it in share/unitop/themes (no fallback warning)" sh -c "! tmux -S '$tmp/tmux.sock' capture-pane -p -t t | grep -qE 'no theme named|using the default theme'"
tmux -S "$tmp/tmux.sock" send-keys -t t q
check "and quits with status 0" sh -c "for i in \$(seq 50); do [ -f '$tmp/tui.status' ] && break; sleep 0.2; done; grep -q exit=0 '$tmp/tui.status'"
man_page=$dest/usr/local/share/man/man1/unitop.1
check "man -l renders unitop(1) with its hand-written sections" sh -c "MANPAGER=cat MANWIDTH=100 man -l '$man_page' | grep -q 'KEYS' && MANPAGER=cat man -l '$man_page' | grep -q 'EXIT STATUS'"
check "man page lists a TUI key from the key map" sh -c "MANPAGER=cat man -l '$man_page' | grep -qi 'graceful stop'"
check "bash completion parses" bash -n "$dest/usr/local/share/bash-completion/completions/unitop"
check "zsh and fish completions installed" test -s "$dest/usr/local/share/zsh/site-functions/_unitop" -a -s "$dest/usr/local/share/fish/vendor_completions.d/unitop.fish"
make -s uninstall DESTDIR="$dest" >/dev/null
check "make uninstall leaves no file behind" sh -c "[ -z \"\$(find '$dest' -type f -o -type l)\" ]"

echo "package-test: make deb"
deb_log=$tmp/deb.log
if make -s deb > "$deb_log" 2>&1; then passed=$((passed + 1)); echo "  ok    make deb (lintian: no errors)"; else failed=$((failed + 1)); echo "  FAIL  make deb"; cat "$deb_log"; fi
sed 's/^/    /' "$deb_log"
deb=$(ls -t .build/deb/unitop_*_*.deb 2>/dev/null | head -1)
if [ -n "$deb" ]; then
    field() { dpkg-deb -f "$deb" "$1"; }
    check "control: Package unitop" test "$(field Package)" = unitop
    check "control: Version is BuildInfo.version" test "$(field Version)" = "$(make -s version | cut -d' ' -f1)"
    check "control: Depends computed (libc6, ncurses) plus qemu-system-x86" sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libc6' && dpkg-deb -f '$deb' Depends | grep -q 'libncursesw6' && dpkg-deb -f '$deb' Depends | grep -q 'qemu-system-x86'"
    check "control: libvirt0 only recommended" sh -c "dpkg-deb -f '$deb' Recommends | grep -q libvirt0 && ! dpkg-deb -f '$deb' Depends | grep -q libvirt"
    dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | grep -v '/$' | sort > "$tmp/files"
    check "file list: exactly the install layout" diff <(printf '%s\n' /usr/bin/unitop /usr/libexec/unitop/unitop-monitor /usr/share/bash-completion/completions/unitop /usr/share/doc/unitop/changelog.gz /usr/share/doc/unitop/copyright /usr/share/fish/vendor_completions.d/unitop.fish /usr/share/man/man1/unitop.1.gz /usr/share/zsh/site-functions/_unitop $(ls themes/*.toml | sed 's|^themes/|/usr/share/unitop/themes/|') | sort) "$tmp/files"
    if [ "${UNITOP_SKIP_DEB_INSTALL:-0}" != 1 ]; then
        if dpkg-query -W unitop >/dev/null 2>&1; then
            echo "  FAIL  a unitop package is already installed here; not touching it"; failed=$((failed + 1))
        else
            check "apt-get install ./$(basename "$deb")" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$ROOT/$deb"
            check "man unitop works after install" sh -c "MANPAGER=cat man unitop 2>/dev/null | grep -q 'KEYS'"
            check "/usr/bin/unitop runs a guest" /usr/bin/unitop run "$ROOT/fixtures/build/hello.elf" --name pkg-hello --accel tcg --detach
            check "unitop ps lists it running" wait_state /usr/bin/unitop pkg-hello running
            check "unitop stop stops it" sh -c "/usr/bin/unitop stop pkg-hello --timeout 1 && /usr/bin/unitop rm pkg-hello"
            dpkg -L unitop | sort > "$tmp/installed"
            check "apt-get purge unitop" $SUDO env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq unitop
            check "no file of the package remains" sh -c "! dpkg-query -W unitop 2>/dev/null && for f in \$(cat '$tmp/installed'); do [ -d \"\$f\" ] || [ ! -e \"\$f\" ] || exit 1; done"
        fi
    fi
else
    failed=$((failed + 1)); echo "  FAIL  no .deb was built"
fi

echo "package-test: upgrade"
if bash scripts/upgrade-test.sh > "$tmp/upgrade.log" 2>&1; then passed=$((passed + 1)); echo "  ok    upgrade test"; else failed=$((failed + 1)); echo "  FAIL  upgrade test"; fi
sed 's/^/    /' "$tmp/upgrade.log"
echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
