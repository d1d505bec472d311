"""Figure 3: idle. The TUI with 20 quiet instances (`idle` fixture, 32M, TCG: it halts at once):
CPU <= 0.2% of one core over UNITOP_BENCH_IDLE_SECONDS (default 60), utime+stime from
/proc/PID/stat divided by wall time; and 0 bytes written to the terminal while nothing changes.

Terminal bytes: tmux pipe-pane copies everything the TUI writes into a file, and the screen is
captured once a second. On the instances screen the UP column changes every second while an
instance is younger than two minutes, then once a minute (a real change), so "nothing changes"
is measured on the Images tab (key 2), where nothing on screen depends on time:
UNITOP_BENCH_IDLE_QUIET_SECONDS (default 15) there, every byte written counts against the
target. Anchor for CPU: the mean CPU of the 20 idle QEMU processes over the same window.

utime+stime count 10 ms clock ticks (one tick in 15 s reads 0.067%), so the CPU figures also
show the TUI's threads' run time from /proc/PID/task/*/schedstat (nanoseconds; a thread that
exits during the window takes its time with it, so this one can only read low).

UNITOP_BENCH_IDLE_MIN_UPTIME (seconds, default 0): wait until every instance has been up that
long before measuring, e.g. 125 to measure instances past the UP column's seconds range.
"""

import os
import time

from common import (Home, NotAvailable, not_available, proc_cpu_seconds, proc_wakeups, record,
                    require_unitop, yes)
from bench_startup import start_idle
from tmuxui import TmuxUI

COUNT = int(os.environ.get("UNITOP_BENCH_IDLE_INSTANCES", "20"))
SECONDS = float(os.environ.get("UNITOP_BENCH_IDLE_SECONDS", "60"))
QUIET_SECONDS = float(os.environ.get("UNITOP_BENCH_IDLE_QUIET_SECONDS", "15"))
MIN_UPTIME = float(os.environ.get("UNITOP_BENCH_IDLE_MIN_UPTIME", "0"))
SETTLE = 5.0


def main():
    cpu_figure = "idle: TUI CPU, %d quiet instances, %.0f s" % (COUNT, SECONDS)
    bytes_figure = "idle: bytes to the terminal while nothing changes"
    try:
        require_unitop()
        with Home("idle") as home:
            start_idle(home, COUNT, "q")
            qemu_pids = [i["pid"] for i in home.ps() if i.get("pid")]
            ui = TmuxUI(home)
            try:
                ui.start(gate=False)
                if ui.wait_screen(lambda s: "%d running" % COUNT in s, 15)[0] is None:
                    raise NotAvailable("TUI never showed %d running" % COUNT)
                if not ui.pid:
                    raise NotAvailable("TUI pid not found")
                time.sleep(SETTLE)
                _wait_uptime(home, MIN_UPTIME)
                ui.pipe_output()
                cpu0, q0, t0 = proc_cpu_seconds(ui.pid), _sum_cpu(qemu_pids), time.monotonic()
                run0 = _run_seconds(ui.pid)
                wake0 = proc_wakeups(ui.pid)
                previous_screen, previous_bytes = ui.screen(), 0
                changes = 0
                while time.monotonic() - t0 < SECONDS:
                    time.sleep(1.0)
                    screen, written = ui.screen(), ui.piped_bytes()
                    if screen != previous_screen:
                        changes += 1
                    previous_screen, previous_bytes = screen, written
                wall = time.monotonic() - t0
                cpu = (proc_cpu_seconds(ui.pid) - cpu0) / wall * 100
                run = (_run_seconds(ui.pid) - run0) / wall * 100
                wakeups = (proc_wakeups(ui.pid) - wake0) / wall
                qemu = (_sum_cpu(qemu_pids) - q0) / wall * 100 / max(1, len(qemu_pids))
                total = ui.piped_bytes()
                # Nothing changes: the Images tab.
                ui.keys("2")
                if ui.wait_screen(lambda s: "[2 Images]" in s, 5)[0] is None:
                    raise NotAvailable("the Images tab did not open")
                time.sleep(2)
                b0, t1, tab_screen = ui.piped_bytes(), time.monotonic(), ui.screen()
                tab_cpu0, tab_wake0 = proc_cpu_seconds(ui.pid), proc_wakeups(ui.pid)
                tab_run0 = _run_seconds(ui.pid)
                tab_changes = 0
                while time.monotonic() - t1 < QUIET_SECONDS:
                    time.sleep(1.0)
                    screen = ui.screen()
                    if screen != tab_screen:
                        tab_changes += 1
                        tab_screen = screen
                quiet_written = ui.piped_bytes() - b0
                tab_wall = time.monotonic() - t1
                tab_cpu = (proc_cpu_seconds(ui.pid) - tab_cpu0) / tab_wall * 100
                tab_run = (_run_seconds(ui.pid) - tab_run0) / tab_wall * 100
                tab_wakeups = (proc_wakeups(ui.pid) - tab_wake0) / tab_wall
            finally:
                ui.stop()
            record(cpu_figure, "<= 0.2%",
                   "%.3f%% of a core (schedstat %.3f%%), %.1f wake-ups/s (Images tab: %.3f%%, schedstat %.3f%%, %.1f wake-ups/s)"
                   % (cpu, run, wakeups, tab_cpu, tab_run, tab_wakeups), "idle QEMU %.2f%% each" % qemu,
                   "%.2fx" % (cpu / qemu) if qemu > 0 else "", yes(cpu <= 0.2))
            record(bytes_figure + " (Images tab, %.0f s)" % QUIET_SECONDS, "0 bytes",
                   "%d bytes, %d screen changes" % (quiet_written, tab_changes),
                   "instances screen: %d bytes/%.0f s, %d changes" % (total, SECONDS, changes), "",
                   yes(quiet_written == 0 and tab_changes == 0))
    except NotAvailable as e:
        not_available(cpu_figure, "<= 0.2%", str(e))
        not_available(bytes_figure, "0 bytes", str(e))


def _run_seconds(pid):
    """Run time of a process's live threads in seconds: the first field of each
    /proc/PID/task/TID/schedstat, in nanoseconds."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def _wait_uptime(home, seconds):
    """Waits until every instance has been up `seconds` (UNITOP_BENCH_IDLE_MIN_UPTIME)."""
    if seconds <= 0:
        return
    youngest = min((i.get("uptimeSeconds") or 0) for i in home.ps())
    if youngest < seconds:
        time.sleep(seconds - youngest)


def _sum_cpu(pids):
    total = 0.0
    for pid in pids:
        try:
            total += proc_cpu_seconds(pid)
        except OSError:
            pass
    return total


if __name__ == "__main__":
    main()
