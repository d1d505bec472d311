"""Figure 8: scale. 100 `idle` instances at once (32M, TCG): `unitop ps` <= 200 ms, TUI keys
answered within 100 ms, no per-instance thread left blocking (threads of the TUI process in
/proc/PID/task, with their wait channels).

`unitop ps`: median of UNITOP_BENCH_PS_RUNS (default 10); anchor: `unitop ps` on an empty state
directory (the fixed cost of starting the binary). Keys: `j` moves the cursor; the screen is
polled until the selected row changes, UNITOP_BENCH_SCALE_KEYS presses (default 20).
Threads: anchor is the same TUI with no instances.
"""

import os
import time

from common import (UNITOP, Home, NotAvailable, median, not_available, proc_threads, record,
                    require_unitop, yes)
from bench_startup import start_idle, timed
from tmuxui import TmuxUI

COUNT = int(os.environ.get("UNITOP_BENCH_SCALE_INSTANCES", "100"))
PS_RUNS = int(os.environ.get("UNITOP_BENCH_PS_RUNS", "10"))
KEYS = int(os.environ.get("UNITOP_BENCH_SCALE_KEYS", "20"))


def tui_threads(home, wait_for):
    """(thread count, wchan summary) of a TUI showing `wait_for`, after it settles."""
    ui = TmuxUI(home)
    try:
        ui.start(gate=False)
        if ui.wait_screen(lambda s: wait_for in s, 20)[0] is None:
            raise NotAvailable("TUI never showed %r" % wait_for)
        time.sleep(2)
        return proc_threads(ui.pid)
    finally:
        ui.stop()


def summarize(threads):
    counts = {}
    for _, comm, wchan in threads:
        key = "%s:%s" % (comm, wchan or "-")
        counts[key] = counts.get(key, 0) + 1
    return ", ".join("%dx %s" % (n, k) for k, n in sorted(counts.items(), key=lambda kv: -kv[1])[:4])


def main():
    ps_figure = "scale: unitop ps, %d instances" % COUNT
    key_figure = "scale: TUI keys (j), %d instances" % COUNT
    thread_figure = "scale: TUI threads, %d instances" % COUNT
    pending = [(ps_figure, "<= 200 ms"), (key_figure, "<= 100 ms"), (thread_figure, "no per-instance thread")]
    try:
        require_unitop()
        with Home("scale-empty") as empty:
            empty_ps = median([timed([UNITOP, "ps"], empty.env) for _ in range(PS_RUNS)])
            empty_threads, _ = tui_threads(empty, "quit")
        with Home("scale") as home:
            start_idle(home, COUNT, "x")
            ps = median([timed([UNITOP, "ps"], home.env) for _ in range(PS_RUNS)])
            record(ps_figure + ", median of %d" % PS_RUNS, "<= 200 ms", "%.0f ms" % (ps * 1000),
                   "empty %.0f ms" % (empty_ps * 1000), "%.2fx" % (ps / empty_ps), yes(ps <= 0.200))
            pending.pop(0)
            ui = TmuxUI(home)
            try:
                ui.start(gate=False)
                if ui.wait_screen(lambda s: "%d running" % COUNT in s, 20)[0] is None:
                    raise NotAvailable("TUI never showed %d running" % COUNT)
                time.sleep(2)
                latencies = []
                for _ in range(KEYS):
                    before = ui.screen()
                    latency, _ = ui.key_latency("j", lambda s: s != before, timeout=2)
                    latencies.append(latency)
                    time.sleep(0.1)
                count, threads = proc_threads(ui.pid)
            finally:
                ui.stop()
            answered = [l for l in latencies if l is not None]
            worst = max(answered) if answered else float("nan")
            record(key_figure + ", %d presses" % KEYS, "<= 100 ms",
                   "median %.0f ms, max %.0f ms, %d unanswered" % (median(answered) * 1000, worst * 1000,
                                                                   len(latencies) - len(answered)),
                   "", "", yes(len(answered) == len(latencies) and worst <= 0.100))
            record(thread_figure, "no per-instance thread", "%d threads (%s)" % (count, summarize(threads)),
                   "no instances: %d threads" % empty_threads, "%+d" % (count - empty_threads),
                   yes(count - empty_threads < COUNT // 10))
    except NotAvailable as e:
        for f, t in pending:
            not_available(f, t, str(e))


if __name__ == "__main__":
    main()
