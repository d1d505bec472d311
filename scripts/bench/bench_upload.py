"""Figure 11: images travel (issue 11, part 3).

Storing a 10 MiB image (the hello fixture plus 10 MiB of filler, from a root-only folder) on a
libvirt host that is not this machine: the first time (SHA-256 + upload over a virStream +
copy into place in the host's `unitop` pool) and a second time (cached hash + one volume
lookup: nothing uploaded), plus a second time from a fresh state directory (the file is hashed
again, still nothing uploaded). The host is the private session libvirtd of the test user
(scripts/libvirt-private.sh, started and purged by the test) reached through its Unix socket and
treated as remote, so the figures are the API path without ssh's own cost. Runs the gated Swift
test LibvirtRemoteStorageTests/uploadBenchmark (debug build of the tests), median of
UNITOP_BENCH_UPLOAD_RUNS (default 5). Target: the second time costs nothing (under 5% of the
first). Needs root (the private daemon).

usage: bench_upload.py
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402

FIGURE = "11 upload of a 10 MiB image: again / first"


def main():
    env = dict(os.environ, UNITOP_LIBVIRT_BENCH="1", UNITOP_FIXTURES=common.FIXTURES)
    build = subprocess.run(["swift", "build", "--build-tests"], cwd=common.ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if build.returncode != 0:
        common.not_available(FIGURE, "< 0.05x", "tests do not build")
        return
    run = subprocess.run(["swift", "test", "--skip-build", "--filter", "LibvirtRemoteStorageTests/uploadBenchmark"],
                         cwd=common.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    m = re.search(r"BENCH upload bytes=(\d+) runs=(\d+) first=([\d.]+) again=([\d.]+) fresh_state=([\d.]+)", run.stdout)
    if not m:
        common.not_available(FIGURE, "< 0.05x", "the benchmark test did not report (private libvirtd needs root)")
        return
    first, again, fresh = float(m.group(3)), float(m.group(4)), float(m.group(5))
    ratio = again / first if first > 0 else 0
    common.record(FIGURE, "< 0.05x", "%.1f ms again, %.1f ms from a fresh state dir" % (again * 1e3, fresh * 1e3),
                  "%.1f ms first (%s bytes)" % (first * 1e3, m.group(1)), "%.3fx" % ratio, common.yes(ratio < 0.05))


if __name__ == "__main__":
    main()
