"""Figure 6: memory. TUI RSS with 20 instances, each with a full 10,000-line scrollback, <= 64 MB.

The 20 instances are real finished ones (the `exit` fixture under TCG); each console.log is then
replaced by 10,000 lines of the mixed corpus (colours, non-ASCII, hostile sequences, invalid
UTF-8). The TUI (scrollback 10,000 lines, the default) starts on the first instance, then the
cursor visits every instance (j), waiting each time until its console pane shows "10,000 lines"
(so its scrollback is full) before moving on. Measured: VmRSS after the visit and the peak
(VmHWM). Anchor: VmRSS of the same TUI right after its first frame (one console open).
The TUI keeps at most AppState.maxOpenConsoles consoles (8) open at once: it never holds 20
full scrollbacks, by design.
"""

import os
import re
import subprocess
import time

from common import (TOOL, Home, NotAvailable, fixture, not_available, proc_rss_bytes, record,
                    require_unitop, yes)
from tmuxui import TmuxUI

COUNT = int(os.environ.get("UNITOP_BENCH_MEMORY_INSTANCES", "20"))
LINES = 10_000


def hwm_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _full(screen):
    """Whether the console pane title says the scrollback holds (almost) all LINES lines."""
    m = re.search(r"([\d,]+) lines", screen)
    return m is not None and int(m.group(1).replace(",", "") or 0) >= LINES * 9 // 10


def main():
    figure = "memory: TUI RSS, %d instances x %d-line scrollback" % (COUNT, LINES)
    try:
        require_unitop()
        if not os.access(TOOL, os.X_OK):
            raise NotAvailable("unitop-bench-tool not built")
        image = fixture("exit")
        with Home("memory") as home:
            for i in range(COUNT):
                home.run(image, "m%02d" % i, "--accel", "tcg", "--append", "code=0", "--memory", "32M")
            deadline = time.monotonic() + 120
            while len([i for i in home.ps() if i.get("state") == "exited"]) < COUNT:
                if time.monotonic() > deadline:
                    raise NotAvailable("instances did not all exit")
                time.sleep(0.5)
            corpus = os.path.join(home.dir, "lines.log")
            subprocess.run([TOOL, "lines", str(LINES), "3", corpus], check=True)
            for i in range(COUNT):
                log = home.console_log("m%02d" % i)
                with open(corpus, "rb") as src, open(log, "wb") as dst:
                    dst.write(src.read())
            ui = TmuxUI(home)
            try:
                ui.start(gate=False)
                if ui.wait_screen(lambda s: _full(s) and "quit" in s, 20)[0] is None:
                    raise NotAvailable("the first console pane never showed 10,000 lines")
                time.sleep(1)
                anchor = proc_rss_bytes(ui.pid)
                for i in range(1, COUNT):
                    ui.keys("j")
                    name = "m%02d" % i
                    if ui.wait_screen(lambda s: ("console: " + name) in s and _full(s), 20)[0] is None:
                        raise NotAvailable("console of %s never showed 10,000 lines" % name)
                time.sleep(1)
                rss, peak = proc_rss_bytes(ui.pid), hwm_bytes(ui.pid)
            finally:
                ui.stop()
            mb = 1 << 20
            record(figure, "<= 64 MB", "%.1f MB (peak %.1f MB)" % (rss / mb, peak / mb),
                   "first frame %.1f MB" % (anchor / mb), "%.2fx" % (rss / anchor), yes(peak <= 64 * mb))
    except NotAvailable as e:
        not_available(figure, "<= 64 MB", str(e))


if __name__ == "__main__":
    main()
