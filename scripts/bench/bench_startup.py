"""Figure 4: start-up. Launch -> first complete frame with 50 instances <= 100 ms; `unitop ps
--json` with 50 instances vs `virsh list --all` on 50 libvirt domains.

First frame, measured from outside: the TUI runs in a 200x60 tmux pane that first blocks on a
FIFO; the clock starts when the FIFO is opened (the pane then execs unitop) and stops at the
first screen capture (polled back to back, ~3-5 ms apart) showing the status bar key hints and
the header count "50 running": the first frame that shows the whole instance list.
Anchor: `unitop ps` (table) in the same state directory, the same listing without a UI.
Median of UNITOP_BENCH_STARTUP_RUNS (default 5) launches.

The 50 instances are `idle` fixtures (32M, TCG: they halt at once and cost nothing).
virsh: 50 persistent (defined, never started) domains `unitop-bench-N` on qemu:///system,
started with scripts/libvirt-up.sh, undefined afterwards.
"""

import os
import re
import subprocess
import tempfile
import time

from common import (ROOT, UNITOP, Home, NotAvailable, fixture, median, not_available, record,
                    require_unitop, yes)
from tmuxui import TmuxUI

COUNT = int(os.environ.get("UNITOP_BENCH_STARTUP_INSTANCES", "50"))
RUNS = int(os.environ.get("UNITOP_BENCH_STARTUP_RUNS", "5"))
PS_RUNS = int(os.environ.get("UNITOP_BENCH_PS_RUNS", "10"))
URI = "qemu:///system"


def start_idle(home, count, prefix):
    image = fixture("idle")
    for i in range(count):
        home.run(image, "%s%03d" % (prefix, i), "--accel", "tcg", "--memory", "32M")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = [i for i in home.ps() if i.get("state") == "running"]
        if len(running) >= count:
            return
        time.sleep(0.5)
    raise NotAvailable("only %d of %d instances running" % (len(running), count))


def timed(argv, env=None):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.monotonic() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        raise NotAvailable("%s: %s" % (" ".join(os.path.basename(a) for a in argv[:2]), err[-1] if err else p.returncode))
    return t


def first_frame(home, count):
    """Seconds from launch to the first complete frame, one launch."""
    ui = TmuxUI(home)
    try:
        ui.start(gate=True)
        t0 = ui.release()
        pattern = re.compile(r"\b%d running\b" % count)
        t1, polls = ui.wait_screen(lambda s: "quit" in s and pattern.search(s) is not None, 10)
        if t1 is None:
            tail = [l for l in ui.screen().splitlines() if l.strip()][:2]
            raise NotAvailable("no complete frame within 10 s (screen: %s)" % " | ".join(tail)[:120])
        return t1 - t0, polls
    finally:
        ui.stop()


def libvirt_domains(count, kernel):
    """Defines `count` domains; returns their names. Raises NotAvailable without libvirtd."""
    up = os.path.join(ROOT, "scripts", "libvirt-up.sh")
    if not os.path.exists(up):
        raise NotAvailable("scripts/libvirt-up.sh not merged yet")
    p = subprocess.run(["sh", up], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise NotAvailable("libvirtd: " + p.stderr.decode(errors="replace").strip()[:100])
    names = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(count):
            name = "unitop-bench-%03d" % i
            xml = os.path.join(d, name + ".xml")
            with open(xml, "w") as f:
                f.write("<domain type='qemu'><name>%s</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>"
                        "<os><type arch='x86_64' machine='pc'>hvm</type><kernel>%s</kernel></os>"
                        "<devices><serial type='pty'/></devices></domain>" % (name, kernel))
            r = subprocess.run(["virsh", "-c", URI, "define", xml], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                undefine(names)
                raise NotAvailable("virsh define: " + r.stderr.decode(errors="replace").strip()[:100])
            names.append(name)
    return names


def undefine(names):
    for name in names:
        subprocess.run(["virsh", "-c", URI, "undefine", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    frame_figure = "start-up: launch to first complete frame, %d instances" % COUNT
    ps_figure = "ps --json, %d instances, vs virsh list --all (%d domains)" % (COUNT, COUNT)
    try:
        require_unitop()
        with Home("startup") as home:
            start_idle(home, COUNT, "s")
            ps_times = [timed([UNITOP, "ps", "--json"], home.env) for _ in range(PS_RUNS)]
            table_times = [timed([UNITOP, "ps"], home.env) for _ in range(PS_RUNS)]
            try:
                frames = [first_frame(home, COUNT) for _ in range(RUNS)]
                f = median([t for t, _ in frames])
                polls = sum(p for _, p in frames) / len(frames)
                period = median([t for t, _ in frames]) / max(1, polls)
                record(frame_figure + ", median of %d" % RUNS, "<= 100 ms", "%.0f ms (poll ~%.0f ms)" % (f * 1000, period * 1000),
                       "ps %.0f ms" % (median(table_times) * 1000), "%.2fx ps" % (f / median(table_times)), yes(f <= 0.100))
            except NotAvailable as e:
                not_available(frame_figure, "<= 100 ms", str(e))
            try:
                names = libvirt_domains(COUNT, fixture("idle"))
                try:
                    virsh = [timed(["virsh", "-c", URI, "list", "--all"]) for _ in range(PS_RUNS)]
                finally:
                    undefine(names)
                p, v = median(ps_times), median(virsh)
                record(ps_figure + ", median of %d" % PS_RUNS, "(compare)", "%.0f ms" % (p * 1000),
                       "virsh %.0f ms" % (v * 1000), "%.2fx" % (p / v), "-")
            except NotAvailable as e:
                record(ps_figure, "(compare)", "%.0f ms" % (median(ps_times) * 1000),
                       "n/a (%s)" % e, "", "-")
    except NotAvailable as e:
        not_available(frame_figure, "<= 100 ms", str(e))
        not_available(ps_figure, "(compare)", str(e))


if __name__ == "__main__":
    main()
