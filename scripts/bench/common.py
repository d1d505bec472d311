"""Shared helpers for the end-to-end benchmarks (scripts/bench.sh).

Every benchmark uses its own temporary UNITOP_HOME and removes every instance it started
(`unitop rm --force`), kills only processes it started, and records rows in the results file
($UNITOP_BENCH_RESULTS) that scripts/bench/table.py prints as one table.
"""

import json
import os
import socket
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("UNITOP_BENCH_BIN", os.path.join(ROOT, ".build", "release"))
UNITOP = os.path.join(BIN, "unitop")
TOOL = os.environ.get("UNITOP_BENCH_TOOL", os.path.join(ROOT, "Benchmarks", ".build", "release", "unitop-bench-tool"))
FIXTURES = os.environ.get("UNITOP_FIXTURES", os.path.join(ROOT, "fixtures", "build"))
RESULTS = os.environ.get("UNITOP_BENCH_RESULTS", "/dev/stdout")


class NotAvailable(Exception):
    """The benchmark cannot run yet (feature missing); the message says why."""


def record(figure, target, measured, anchor="", ratio="", met=""):
    """Appends one row to the results table (tab-separated)."""
    row = [figure, target, measured, anchor, ratio, met]
    with open(RESULTS, "a") as f:
        f.write("\t".join(str(c).replace("\t", " ").replace("\n", " ") for c in row) + "\n")


def not_available(figure, target, reason):
    record(figure, target, "n/a (%s)" % reason, "", "", "n/a")


def yes(ok):
    return "yes" if ok else "no"


def median(values):
    return statistics.median(values) if values else float("nan")


def fixture(name):
    path = os.path.join(FIXTURES, name + ".elf")
    if not os.path.exists(path):
        raise NotAvailable("fixture %s missing: make -C fixtures" % name)
    return path


def require_unitop():
    if not os.access(UNITOP, os.X_OK):
        raise NotAvailable("unitop not built")


class Home:
    """A temporary UNITOP_HOME with a short runtime directory; removes every instance on close."""

    def __init__(self, tag):
        self.dir = tempfile.mkdtemp(prefix="unitop-bench-%s-" % tag)
        self.runtime = tempfile.mkdtemp(prefix="ubr-", dir="/tmp")
        self.env = dict(os.environ)
        self.env.update({
            "UNITOP_HOME": self.dir,
            "UNITOP_RUNTIME_DIR": self.runtime,
            "XDG_CONFIG_HOME": os.path.join(self.dir, "config"),
            "XDG_DATA_HOME": os.path.join(self.dir, "data"),
            "UNITOP_MONITOR_BIN": os.path.join(BIN, "unitop-monitor"),
        })
        self.started = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def unitop(self, *args, check=True, timeout=60, stdout=subprocess.PIPE):
        """Runs `unitop ARGS` in this home; raises NotAvailable with unitop's stderr on failure."""
        p = subprocess.run([UNITOP] + list(args), env=self.env, stdout=stdout,
                           stderr=subprocess.PIPE, timeout=timeout)
        if check and p.returncode != 0:
            err = p.stderr.decode(errors="replace").strip().splitlines()
            raise NotAvailable("unitop %s: %s" % (args[0], err[-1] if err else "exit %d" % p.returncode))
        return p

    def run(self, image, name, *extra):
        """`unitop run IMAGE --name NAME --detach EXTRA`; remembers NAME for cleanup."""
        self.started.append(name)
        return self.unitop("run", image, "--name", name, "--detach", *extra)

    def ps(self):
        out = self.unitop("ps", "--json", "--all").stdout
        return json.loads(out or b"[]")

    def instance(self, name):
        for inst in self.ps():
            if inst.get("name") == name:
                return inst
        return None

    def wait_state(self, name, states, timeout=60):
        """Waits until NAME is in one of `states`; returns the instance object."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            inst = self.instance(name)
            if inst and inst.get("state") in states:
                return inst
            time.sleep(0.1)
        raise NotAvailable("%s never reached %s" % (name, "/".join(states)))

    def instance_dir(self, name):
        """The QEMU backend's state directory of NAME ($UNITOP_HOME/instances/NAME)."""
        inst = self.instance(name) or {}
        return inst.get("stateDirectory") or os.path.join(self.dir, "instances", name)

    def console_log(self, name):
        inst = self.instance(name) or {}
        return inst.get("consoleLogPath") or os.path.join(self.instance_dir(name), "console.log")

    def close(self):
        names = set(self.started)
        try:
            names.update(i.get("name") for i in self.ps())
        except Exception:
            pass
        for name in names:
            if name:
                try:
                    self.unitop("rm", "--force", name, check=False, timeout=60)
                except Exception:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.runtime, ignore_errors=True)


def proc_cpu_seconds(pid):
    """utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(rest[11]) + int(rest[12])) / ticks


def proc_rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def proc_threads(pid):
    """(count, [(tid, comm, wchan)]) of a process's threads."""
    out = []
    for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
        base = "/proc/%d/task/%s/" % (pid, tid)
        try:
            comm = open(base + "comm").read().strip()
            wchan = open(base + "wchan").read().strip()
        except OSError:
            continue
        out.append((int(tid), comm, wchan))
    return len(out), out


def proc_wakeups(pid):
    """Voluntary context switches summed over a process's threads (each is a sleep/wake-up)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            for line in open("/proc/%d/task/%s/status" % (pid, tid)):
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def wait_for(predicate, timeout, interval=0.001):
    """Polls `predicate` until true; returns the monotonic time it became true, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(interval)
    return None


def free_ports(count):
    """`count` distinct loopback TCP ports nobody listens on now: each bound to port 0, all held
    until the last is picked (so the kernel cannot hand out one twice), then released."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            sockets.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def free_port():
    """A loopback TCP port nobody listens on now (bound to port 0 once, then released)."""
    return free_ports(1)[0]


def fmt_ms(seconds):
    return "%.1f ms" % (seconds * 1000)
