"""Figure 1 (end to end): `unitop logs --raw NAME > /dev/null` on a 100 MB console log within
1.5x of `cat` on the same file; sanitized `unitop logs NAME` at >= 200 MB/s.

The log belongs to a real, finished instance (the `exit` fixture under TCG); its console.log is
then replaced by the 100 MB mixed corpus (ConsoleCorpus.generate, seed 1), which is exactly
what the QEMU backend's log holds: the guest's raw bytes. The file is read once first so every
run reads from the page cache. Medians of UNITOP_BENCH_LOGS_RUNS runs (default 5).
"""

import os
import subprocess
import time

from common import (TOOL, UNITOP, Home, NotAvailable, fixture, median, not_available, record,
                    require_unitop, yes)

BYTES = int(os.environ.get("UNITOP_BENCH_LOG_BYTES", "100000000"))
RUNS = int(os.environ.get("UNITOP_BENCH_LOGS_RUNS", "5"))
MB = BYTES / 1e6


def timed(argv, env):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = time.monotonic() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        raise NotAvailable("%s failed: %s" % (os.path.basename(argv[0]) + " " + argv[1], err[-1] if err else p.returncode))
    return t


def main():
    raw_figure = "logs --raw, %.0f MB log, vs cat" % MB
    san_figure = "logs (sanitized), %.0f MB log" % MB
    try:
        require_unitop()
        if not os.access(TOOL, os.X_OK):
            raise NotAvailable("unitop-bench-tool not built")
        image = fixture("exit")
        with Home("logs") as home:
            home.run(image, "biglog", "--accel", "tcg", "--append", "code=0")
            home.wait_state("biglog", ("exited", "stopped", "crashed"), timeout=60)
            log = home.console_log("biglog")
            if not os.path.exists(log):
                raise NotAvailable("no console.log at %s" % log)
            for extra in (log + ".1",):
                if os.path.exists(extra):
                    os.unlink(extra)
            subprocess.run([TOOL, "corpus", str(BYTES), "1", log], check=True)
            if os.path.getsize(log) != BYTES:
                raise NotAvailable("corpus has the wrong size")
            subprocess.run(["cat", log], stdout=subprocess.DEVNULL, check=True)  # page cache
            # Both modes must deliver the whole log (raw: byte for byte).
            out = subprocess.run([UNITOP, "logs", "--raw", "biglog"], env=home.env, stdout=subprocess.PIPE).stdout
            if len(out) != BYTES:
                raise NotAvailable("logs --raw gave %d bytes of %d" % (len(out), BYTES))
            del out
            cat, raw, san = [], [], []
            for _ in range(RUNS):
                cat.append(timed(["cat", log], home.env))
                raw.append(timed([UNITOP, "logs", "--raw", "biglog"], home.env))
                san.append(timed([UNITOP, "logs", "biglog"], home.env))
            c, r, s = median(cat), median(raw), median(san)
            record(raw_figure, "<= 1.5x cat", "%.0f ms (%.0f MB/s)" % (r * 1000, MB / r),
                   "cat %.0f ms (%.0f MB/s)" % (c * 1000, MB / c), "%.2fx" % (r / c), yes(r / c <= 1.5))
            record(san_figure, ">= 200 MB/s", "%.0f MB/s (%.0f ms)" % (MB / s, s * 1000),
                   "cat %.0f MB/s" % (MB / c), "%.2fx cat time" % (s / c), yes(MB / s >= 200))
    except NotAvailable as e:
        not_available(raw_figure, "<= 1.5x cat", str(e))
        not_available(san_figure, ">= 200 MB/s", str(e))


if __name__ == "__main__":
    main()
