#!/usr/bin/env bash
# Builds .build/deb/unitop_VERSION_amd64.deb from `make install` (static release build) with
# dpkg-deb, its Depends computed by dpkg-shlibdeps (plus qemu-system-x86; libvirt0 is a Recommends:
# the libvirt backend is loaded with dlopen), then checks it with lintian (installed if missing).
# Prints the package's path, size, Depends line and lintian's output.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/apt-need.sh dpkg-dev fakeroot lintian

# DEBFULLNAME and DEBEMAIL name the maintainer, as for Debian's own tools.
maintainer="${DEBFULLNAME:-unitop developers} <${DEBEMAIL:-unitop@example.org}>"
read -r version commit <<<"$(make -s version)"
arch=$(dpkg --print-architecture)
out=.build/deb
stage=$out/unitop_${version}_$arch
rm -rf "$stage" && mkdir -p "$stage/DEBIAN"
make -s install DESTDIR="$PWD/$stage" PREFIX=/usr >/dev/null

# Debian policy: stripped binaries, compressed man page and changelog, a copyright file.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/unitop" "$stage/usr/libexec/unitop/unitop-monitor"
gzip -9n "$stage/usr/share/man/man1/unitop.1"
doc=$stage/usr/share/doc/unitop
install -d "$doc"
install -m 0644 packaging/copyright "$doc/copyright"
{
  echo "unitop ($version) unstable; urgency=medium"
  echo
  echo "  * Release $version (commit $commit)."
  echo
  echo " -- $maintainer  $(git log -1 --format=%aD 2>/dev/null || date -R)"
} | gzip -9n > "$doc/changelog.gz"

# Depends: what the two binaries link, as dpkg-shlibdeps finds it (it wants a debian/control).
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debian"
printf 'Source: unitop\n\nPackage: unitop\nArchitecture: any\n' > "$work/debian/control"
bins=("$PWD/$stage/usr/bin/unitop" "$PWD/$stage/usr/libexec/unitop/unitop-monitor")
shlibs=$(cd "$work" && dpkg-shlibdeps -O "${bins[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "package-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
depends="$shlibs, qemu-system-x86"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

cat > "$stage/DEBIAN/control" <<CONTROL
Package: unitop
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Recommends: libvirt0
Suggests: libvirt-daemon-system
Section: admin
Priority: optional
Description: terminal UI and CLI for unikernels on QEMU and libvirt
 unitop lists unikernel images and running instances, streams each guest's
 serial console live (and lets you type into it), and starts, stops, pauses,
 resumes, restarts and removes instances, locally or over ssh. Two backends:
 QEMU processes controlled over QMP (no daemon), and libvirt (local and remote
 hosts; libvirt0 is loaded only when that backend is used).
CONTROL

deb=$out/unitop_${version}_$arch.deb
rm -f "$deb"
fakeroot dpkg-deb --build --root-owner-group -Zxz "$stage" "$deb" >/dev/null
echo "package: $deb ($(du -h "$deb" | cut -f1), installed $size KiB)"
echo "Depends: $depends"
echo "lintian:"
lint_status=0
lintian --fail-on error --tag-display-limit 0 "$deb" > "$work/lintian.txt" 2>&1 || lint_status=$?
grep -v 'running with root privileges is not recommended' "$work/lintian.txt" | sed 's/^/  /' || true
[ "$lint_status" -eq 0 ] || { echo "package-deb: lintian reports errors" >&2; exit 1; }
echo "lintian: no errors"
