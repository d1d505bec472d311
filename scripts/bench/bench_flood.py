"""Figure 2: the UI never slows the guest. The `flood` fixture writes 5 MB under TCG with nobody
watching vs while the TUI follows its console in tmux: ratio of guest wall times <= 1.1; and key
presses during the flood are answered within 100 ms.

Guest wall time: from spawning `unitop run --detach` to the monitor's exit record (exit.json,
polled every 10 ms; `ps --json` as fallback). Runs alternate unwatched / watched,
UNITOP_BENCH_FLOOD_PAIRS pairs (default 2: a 5 MB run takes 15-90 s here, depending on load).
Also reported: the same flood with QEMU alone (stdout to a pipe), and the monitor's CPU time and
read syscalls, which show where an unwatched flood's time goes.
Key latency: a separate watched run, pressing Tab (list <-> console focus: the status bar hints
change, the console stays on screen) and polling the screen until the status bar line differs.
"""

import os
import subprocess
import time

from common import (UNITOP, Home, proc_cpu_seconds, proc_wakeups, NotAvailable, fixture, median, not_available, record,
                    require_unitop, yes)
from tmuxui import TmuxUI

BYTES = int(os.environ.get("UNITOP_BENCH_FLOOD_BYTES", "5000000"))
PAIRS = int(os.environ.get("UNITOP_BENCH_FLOOD_PAIRS", "2"))
KEY_PRESSES = int(os.environ.get("UNITOP_BENCH_FLOOD_KEYS", "20"))


def monitor_sample(home, name):
    """(cpu seconds, read syscalls) of the instance's unitop-monitor, or None."""
    try:
        pid = int(open(os.path.join(home.dir, "instances", name, "monitor.pid")).read().split()[0])
        cpu = proc_cpu_seconds(pid)
        io = dict(l.split(": ") for l in open("/proc/%d/io" % pid).read().splitlines())
        return cpu, int(io["syscr"])
    except (OSError, ValueError, KeyError, IndexError):
        return None


def run_flood(home, name, on_running=None, stop_after_probe=False):
    """Runs one flood to its end; returns (seconds, key latencies, last monitor sample)."""
    image = fixture("flood")
    t0 = time.monotonic()
    home.run(image, name, "--accel", "tcg", "--memory", "32M", "--append", "bytes=%d" % BYTES)
    exit_record = os.path.join(home.dir, "instances", name, "exit.json")
    latencies = on_running(exit_record) if on_running else []
    if stop_after_probe:
        home.unitop("rm", "--force", name, check=False)
        return None, latencies, None
    last_ps = last_sample = time.monotonic()
    sample = None
    while True:
        if os.path.exists(exit_record):
            break
        now = time.monotonic()
        if now - last_sample > 0.5:
            last_sample = now
            sample = monitor_sample(home, name) or sample
        if now - last_ps > 2:
            last_ps = now
            inst = home.instance(name) or {}
            if inst.get("state") in ("exited", "stopped", "crashed"):
                break
        if now - t0 > 600:
            raise NotAvailable("flood did not finish within 600 s")
        time.sleep(0.01)
    t = time.monotonic() - t0
    inst = home.instance(name) or {}
    if inst.get("state") != "exited":
        raise NotAvailable("flood ended %s: %s" % (inst.get("state"), inst.get("exitReason")))
    with open(home.console_log(name), "rb") as f:
        f.seek(max(0, os.path.getsize(home.console_log(name)) - 200))
        if b"FLOOD-END bytes=%d" % BYTES not in f.read():
            raise NotAvailable("console log lacks FLOOD-END")
    home.unitop("rm", "--force", name, check=False)
    return t, latencies, sample


def run_direct(home):
    """The same flood with QEMU alone writing to a pipe read by `cat > /dev/null`: the guest's
    own speed here. The argv is the one unitop recorded, minus -S and the QMP socket."""
    image = fixture("flood")
    argv = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-machine", "pc",
            "-accel", "tcg", "-m", "32M", "-kernel", image, "-append", "bytes=%d" % BYTES,
            "-chardev", "stdio,id=ser0,signal=off", "-serial", "chardev:ser0",
            "-device", "isa-debug-exit,iobase=0x501,iosize=2", "-device", "pvpanic"]
    t0 = time.monotonic()
    q = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    c = subprocess.Popen(["cat"], stdin=q.stdout, stdout=subprocess.DEVNULL)
    q.stdout.close()
    try:
        q.wait(timeout=600)
    finally:
        if q.poll() is None:
            q.kill()
            q.wait()
        c.wait()
    return time.monotonic() - t0


def watched(home, name, probe_keys=False):
    ui = TmuxUI(home)
    try:
        ui.start(gate=False)
        if ui.wait_screen(lambda s: "quit" in s, 10)[0] is None:
            raise NotAvailable("TUI shows no frame")

        def probe(exit_record):
            # Wait until the console pane shows the flood, then press Tab while it runs.
            if ui.wait_screen(lambda s: "flood 0" in s, 30)[0] is None:
                raise NotAvailable("TUI console pane never showed the flood")
            if not probe_keys:
                return []
            out = []
            while not os.path.exists(exit_record) and len(out) < KEY_PRESSES:
                before = _status_line(ui.screen())
                latency, _ = ui.key_latency("Tab", lambda s: _status_line(s) != before, timeout=2)
                out.append(latency)
                time.sleep(0.2)
            return out
        server = int(ui.tmux("display-message", "-p", "#{pid}").strip() or 0)
        cpu0, wake0 = (_cpu(ui.pid), _cpu(server)), _wakeups(ui.pid)
        t, latencies, sample = run_flood(home, name, probe, stop_after_probe=probe_keys)
        watch_cpu = (_cpu(ui.pid) - cpu0[0], _cpu(server) - cpu0[1], _wakeups(ui.pid) - wake0)
        return t, latencies, watch_cpu
    finally:
        ui.stop()


def _wakeups(pid):
    try:
        return proc_wakeups(pid) if pid else 0
    except OSError:
        return 0


def _cpu(pid):
    try:
        return proc_cpu_seconds(pid) if pid else 0.0
    except OSError:
        return 0.0


def _status_line(screen):
    lines = [l for l in screen.splitlines() if l.strip()]
    return lines[-1] if lines else ""


def main():
    ratio_figure = "flood %g MB (TCG): TUI following vs nobody watching" % (BYTES / 1e6)
    key_figure = "keys during the flood (Tab -> status bar)"
    try:
        require_unitop()
        with Home("flood") as home:
            alone, seen, direct, samples = [], [], [], []
            for i in range(PAIRS):
                direct.append(run_direct(home))
                t, _, sample = run_flood(home, "fa%d" % i)
                alone.append(t)
                samples.append(sample)
                t, _, watch_cpu = watched(home, "fw%d" % i)
                seen.append(t)
            a, w, d = median(alone), median(seen), median(direct)
            cpu_note = "; TUI %.1f s CPU, tmux %.1f s CPU, TUI %d wake-ups" % watch_cpu
            record(ratio_figure + ", median of %d%s" % (PAIRS, cpu_note), "<= 1.10x", "%.2f s (%.2f MB/s)" % (w, BYTES / 1e6 / w),
                   "alone %.2f s" % a, "%.3fx" % (w / a), yes(w / a <= 1.10))
            monitor = ""
            if samples and samples[-1]:
                cpu, reads = samples[-1]
                monitor = "; monitor: %.1f s CPU, %d reads (%.1f B/read)" % (cpu, reads, BYTES / max(1, reads))
            record("flood %g MB (TCG): unitop, nobody watching, vs QEMU alone%s" % (BYTES / 1e6, monitor),
                   "(reported)", "%.2f s" % a, "QEMU alone %.2f s" % d, "%.2fx" % (a / d), "-")
            try:
                _, latencies, _ = watched(home, "fk", probe_keys=True)
                answered = [l for l in latencies if l is not None]
                if not latencies:
                    raise NotAvailable("the flood ended before a key was pressed")
                worst = max(answered) if answered else float("nan")
                record(key_figure + ", %d presses" % len(latencies), "<= 100 ms",
                       "median %.0f ms, max %.0f ms, %d unanswered" % (median(answered) * 1000, worst * 1000,
                                                                       len(latencies) - len(answered)),
                       "", "", yes(len(answered) == len(latencies) and worst <= 0.100))
            except NotAvailable as e:
                not_available(key_figure, "<= 100 ms", str(e))
    except NotAvailable as e:
        not_available(ratio_figure, "<= 1.10x", str(e))
        not_available(key_figure, "<= 100 ms", str(e))


if __name__ == "__main__":
    main()
