"""Figure 12: many hosts (issue 11).

Two real libvirt hosts: qemu:///system (root's daemon, started with scripts/libvirt-up.sh) and a
second, separate daemon reached over real ssh (scripts/libvirt-ssh.sh: an unprivileged user's
session libvirtd behind Debian's sshd on a loopback port; TCG only), with UNITOP_BENCH_HOSTS_GUESTS
(default 25) running `idle` guests each, started with `unitop run --host LABEL`.

(a) `unitop ps --json` over every configured host (local QEMU, both libvirt hosts, asked in
    parallel) next to `virsh list --all` run against each libvirt host in turn (the anchor), median
    of UNITOP_BENCH_PS_RUNS (default 10) each. Target: no slower than the anchor.
(d) The same on one host: `unitop ps --json --host system` next to `virsh -c qemu:///system list
    --all` (issue 11 measured 63 ms against 23 ms with 20 domains before the listing became one
    round trip).
(b) Launch to the first frame of the TUI (the status bar's `? help` on screen, in a gated 200x60
    tmux pane as in figure 4) with a third configured URI that refuses connections, median of
    UNITOP_BENCH_STARTUP_RUNS (default 5). Target: <= 100 ms.
(c) `unitop run --detach` of a 10 MiB image (the hello fixture plus filler, in a root-only folder)
    on the ssh host: the first time (SHA-256 + upload over ssh + start) and the same image again
    under another name (no upload: the volume is found by content hash). The upload's own time is
    the one the backend logs ("uploaded image ... seconds=") in the home's unitop.log; the runs are
    the commands' wall times (ssh connection and domain start included). Target: exactly one
    upload.

usage: bench_hosts.py
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

from common import (ROOT, UNITOP, Home, NotAvailable, fixture, free_port, free_ports, median, not_available, record,
                    require_unitop, yes)
from tmuxui import TmuxUI

GUESTS = int(os.environ.get("UNITOP_BENCH_HOSTS_GUESTS", "25"))
PS_RUNS = int(os.environ.get("UNITOP_BENCH_PS_RUNS", "10"))
FRAME_RUNS = int(os.environ.get("UNITOP_BENCH_STARTUP_RUNS", "5"))
SYSTEM = "qemu:///system"
SSH_LABEL = "127.0.0.1:session"


def sh(*argv, timeout=300):
    p = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    if p.returncode != 0:
        raise NotAvailable("%s: %s" % (os.path.basename(argv[0]), p.stderr.decode(errors="replace").strip()[-160:]))
    return p.stdout.decode(errors="replace")


def timed(argv, env=None, shell=False):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.monotonic() - t0
    if p.returncode not in (0, 3):
        raise NotAvailable("%s: %s" % (argv if shell else os.path.basename(argv[0]), p.stderr.decode(errors="replace").strip()[-160:]))
    return t


def write_config(home, uris):
    os.makedirs(os.path.join(home.dir, "config", "unitop"), exist_ok=True)
    with open(os.path.join(home.dir, "config", "unitop", "config.toml"), "w") as f:
        f.write("[libvirt]\nuris = [%s]\ntimeout = 30\n" % ", ".join('"%s"' % u for u in uris))


def start_guests(home, label, prefix, accel):
    image = fixture("idle")
    for i in range(GUESTS):
        home.run(image, "%s%02d" % (prefix, i), "--host", label, "--accel", accel, "--memory", "32M")


def wait_running(home, total):
    deadline = time.monotonic() + 300
    running = 0
    while time.monotonic() < deadline:
        p = home.unitop("ps", "--json", check=False)
        running = p.stdout.count(b'"state":"running"')
        if running >= total:
            return
        time.sleep(0.5)
    raise NotAvailable("only %d of %d guests running" % (running, total))


def uploaded_seconds(home, path):
    """The `seconds=` of every "uploaded image" line the backend logged in this home for `path`."""
    try:
        with open(os.path.join(home.dir, "unitop.log"), errors="replace") as f:
            return [float(m.group(1)) for line in f if "uploaded image" in line and path in line
                    for m in [re.search(r"seconds=([0-9.]+)", line)] if m]
    except OSError:
        return []


def first_frame(home):
    ui = TmuxUI(home)
    try:
        ui.start(gate=True)
        t0 = ui.release()
        t1, _ = ui.wait_screen(lambda s: "? help" in s, 10)
        if t1 is None:
            raise NotAvailable("no first frame within 10 s")
        return t1 - t0
    finally:
        ui.stop()


def main():
    ps_figure = "12a ps --json, 2 libvirt hosts x %d guests (+ local), vs virsh list --all per host" % GUESTS
    one_figure = "12d ps --json --host system, %d guests, vs virsh -c qemu:///system list --all" % GUESTS
    frame_figure = "12b first frame with an unreachable third host"
    upload_figure = "12c run of a 10 MiB image on the ssh host: again / first"
    recorded = set()
    ssh_dir = tempfile.mkdtemp(prefix="unitop-bench-ssh-")
    private = tempfile.mkdtemp(prefix="unitop-bench-rootonly-")
    try:
        require_unitop()
        sh("sh", os.path.join(ROOT, "scripts", "libvirt-up.sh"))
        sh("sh", os.path.join(ROOT, "scripts", "libvirt-ssh.sh"), "up", ssh_dir, *map(str, free_ports(2)))
        with open(os.path.join(ssh_dir, "ssh", "uri")) as f:
            ssh_uri = f.read().strip()
        with Home("hosts") as home:
            write_config(home, [SYSTEM, ssh_uri])
            start_guests(home, "system", "hs", "auto")
            start_guests(home, SSH_LABEL, "hr", "tcg")
            wait_running(home, 2 * GUESTS)
            ps = [timed([UNITOP, "ps", "--json"], home.env) for _ in range(PS_RUNS)]
            virsh_cmd = "virsh -c '%s' list --all >/dev/null && virsh -c '%s' list --all >/dev/null" % (SYSTEM, ssh_uri)
            virsh = [timed(virsh_cmd, shell=True) for _ in range(PS_RUNS)]
            p, v = median(ps), median(virsh)
            recorded.add(ps_figure)
            record(ps_figure + ", median of %d" % PS_RUNS, "<= 1.00x", "%.0f ms" % (p * 1000),
                   "virsh %.0f ms" % (v * 1000), "%.2fx" % (p / v), yes(p <= v))

            one = [timed([UNITOP, "ps", "--json", "--host", "system"], home.env) for _ in range(PS_RUNS)]
            sysvirsh = [timed(["virsh", "-c", SYSTEM, "list", "--all"]) for _ in range(PS_RUNS)]
            p1, v1 = median(one), median(sysvirsh)
            recorded.add(one_figure)
            record(one_figure + ", median of %d" % PS_RUNS, "<= 1.00x", "%.0f ms" % (p1 * 1000),
                   "virsh %.0f ms" % (v1 * 1000), "%.2fx" % (p1 / v1), yes(p1 <= v1))

            closed = free_port()
            write_config(home, [SYSTEM, ssh_uri, "qemu+tcp://127.0.0.1:%d/system" % closed])
            frames = [first_frame(home) for _ in range(FRAME_RUNS)]
            f = median(frames)
            recorded.add(frame_figure)
            record(frame_figure + ", median of %d" % FRAME_RUNS, "<= 100 ms", "%.0f ms" % (f * 1000), "", "", yes(f <= 0.100))

            write_config(home, [SYSTEM, ssh_uri])
            os.chmod(private, 0o700)
            big = os.path.join(private, "big.elf")
            shutil.copyfile(fixture("hello"), big)
            with open(big, "ab") as out:
                out.write(os.urandom(10 * 1024 * 1024))
            t0 = time.monotonic()
            home.run(big, "hu1", "--host", SSH_LABEL, "--accel", "tcg", "--memory", "32M")
            first = time.monotonic() - t0
            t0 = time.monotonic()
            home.run(big, "hu2", "--host", SSH_LABEL, "--accel", "tcg", "--memory", "32M")
            again = time.monotonic() - t0
            uploads = uploaded_seconds(home, big)
            if len(uploads) != 1:
                raise NotAvailable("expected one upload in unitop.log, found %d" % len(uploads))
            record(upload_figure, "no upload again", "upload %.0f ms; run %.0f ms, again %.0f ms (no upload)"
                   % (uploads[0] * 1000, first * 1000, again * 1000), "", "%.2fx" % (again / first), yes(len(uploads) == 1))
    except NotAvailable as e:
        for fig, target in ((ps_figure, "<= 1.00x"), (one_figure, "<= 1.00x"), (frame_figure, "<= 100 ms"), (upload_figure, "no upload again")):
            if fig not in recorded:
                not_available(fig, target, str(e))
    finally:
        subprocess.run(["sh", os.path.join(ROOT, "scripts", "libvirt-ssh.sh"), "purge", ssh_dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    main()
