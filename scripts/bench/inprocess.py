"""In-process benchmarks (ordo-one/benchmark, package Benchmarks/): figure 1 (console engine)
and figure 5 (render + diff, scrolling). Runs `swift package benchmark --target T --format jmh`
and turns the medians (p50 wall clock) into table rows.

usage: inprocess.py console|render
"""

import glob
import json
import os
import subprocess
import sys
import tempfile

from common import ROOT, not_available, record, yes

PACKAGE = os.path.join(ROOT, "Benchmarks")
CORPUS_MB = int(os.environ.get("UNITOP_BENCH_CORPUS_BYTES", "100000000")) / 1e6


def run(target):
    """{benchmark name: {metric: p50}} for one benchmark target; raises RuntimeError with the reason."""
    out = tempfile.mkdtemp(prefix="unitop-bench-jmh-")
    argv = ["swift", "package", "--package-path", PACKAGE, "--allow-writing-to-directory", out,
            "benchmark", "--target", "^%s$" % target, "--format", "jmh", "--path", out, "--no-progress"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log = p.stdout.decode(errors="replace")
    files = glob.glob(os.path.join(out, "*.json"))
    if p.returncode != 0 or not files:
        errors = [l for l in log.splitlines() if "error:" in l]
        reason = errors[0].split("error:", 1)[1].strip() if errors else "exit %d" % p.returncode
        sys.stderr.write(log[-4000:])
        raise RuntimeError("%s does not build/run: %s" % (target, reason[:110]))
    results = {}
    for path in files:
        for element in json.load(open(path)):
            name = element["benchmark"].split(".%s." % target, 1)[-1]
            metrics = {"Throughput (# / s)": element["primaryMetric"]["scorePercentiles"]["50.0"]}
            for key, value in element.get("secondaryMetrics", {}).items():
                metrics[key] = value["scorePercentiles"]["50.0"]
            metrics["_p99wall"] = element.get("secondaryMetrics", {}).get("Time (wall clock)", {}).get(
                "scorePercentiles", {}).get("99.0")
            results[name] = metrics
    for path in files:
        os.unlink(path)
    os.rmdir(out)
    return results


def wall_us(results, name):
    """Median wall clock time in microseconds of the benchmark whose name starts with `name`."""
    key = name.replace(" ", "_")
    for k, v in results.items():
        if k.startswith(key):
            for mk, mv in v.items():
                if mk.startswith("Time (wall clock)"):
                    return mv, v.get("_p99wall")
    raise RuntimeError("no result for %r (have %s)" % (name, ", ".join(results)))


def console():
    figure = "console engine: sanitize + scrollback, %.0f MB corpus, 1 core" % CORPUS_MB
    try:
        r = run("ConsoleEngine")
        engine, _ = wall_us(r, "engine: sanitize + scrollback")
        copy, _ = wall_us(r, "anchor: memcpy of the corpus")
        mbps = CORPUS_MB / (engine / 1e6)
        record(figure, ">= 200 MB/s", "%.0f MB/s (%.0f ms)" % (mbps, engine / 1000),
               "memcpy %.0f MB/s" % (CORPUS_MB / (copy / 1e6)), "%.0fx memcpy time" % (engine / copy), yes(mbps >= 200))
        for part in ("part: sanitize only", "part: scrollback append only"):
            t, _ = wall_us(r, part)
            record("  " + part, "(reported)", "%.0f MB/s (%.0f ms)" % (CORPUS_MB / (t / 1e6), t / 1000), "", "", "-")
    except RuntimeError as e:
        not_available(figure, ">= 200 MB/s", str(e))


def render():
    figure = "render + diff: 200x60, 1,000 rows + console pane"
    scroll_figure = "scroll in 100k-line scrollback vs bottom"
    try:
        r = run("Render")
        frame, p99 = wall_us(r, "frame: 1000 rows + console, render + diff")
        blank, _ = wall_us(r, "anchor: blank grid + diff")
        record(figure, "<= 1 ms", "%.3f ms (p99 %.3f ms)" % (frame / 1000, (p99 or frame) / 1000),
               "blank grid %.3f ms" % (blank / 1000), "%.1fx" % (frame / blank), yes(frame <= 1000))
        bottom, _ = wall_us(r, "scroll: bottom of 100k lines")
        for where in ("middle", "top"):
            t, _ = wall_us(r, "scroll: %s of 100k lines" % where)
            record("%s: %s" % (scroll_figure, where), "same (<= 1.10x)", "%.3f ms" % (t / 1000),
                   "bottom %.3f ms" % (bottom / 1000), "%.2fx" % (t / bottom), yes(t / bottom <= 1.10))
    except RuntimeError as e:
        not_available(figure, "<= 1 ms", str(e))
        not_available(scroll_figure, "same (<= 1.10x)", str(e))


if __name__ == "__main__":
    {"console": console, "render": render}[sys.argv[1]]()
