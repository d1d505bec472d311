"""Figure 7: boot overhead. `unitop run --detach` to the first console byte vs the same QEMU argv
launched directly (median of UNITOP_BENCH_BOOT_RUNS, default 20, alternating; ratio <= 1.10).
Also the hello fixture's launch-to-first-byte on pc and microvm, KVM and TCG (direct QEMU).

unitop: the clock starts just before `unitop run` is spawned and stops when the instance's
console.log (the monitor writes the guest's bytes there) is first non-empty (polled every
0.5 ms). Direct: the argv unitop recorded (`ps --json` commandLine) without `-S` (nobody sends
`cont`), without the monitor's pre-connected QMP socket pair (`-chardev socket,id=unitop-qmp,fd=3`
and its `-mon`) and with its own QMP socket path; the clock stops at the first byte on QEMU's stdout.
Knobs: UNITOP_BENCH_BOOT_RUNS (default 20), UNITOP_BENCH_BOOT_MATRIX_RUNS (default 5; 0 skips the
matrix). The overhead runs use TCG: under this host's paravirtual KVM, SeaBIOS on `-machine pc` takes
about 6 s before the first byte, which would drown the overhead and the time budget.
"""

import os
import select
import shutil
import subprocess
import tempfile
import time

from common import (UNITOP, Home, NotAvailable, fixture, median, not_available, record,
                    require_unitop, wait_for, yes)

RUNS = int(os.environ.get("UNITOP_BENCH_BOOT_RUNS", "20"))
MATRIX_RUNS = int(os.environ.get("UNITOP_BENCH_BOOT_MATRIX_RUNS", "5"))


def direct_first_byte(argv, timeout=30):
    """Launches argv; seconds until its first stdout byte (None on timeout). Kills it after."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        ready, _, _ = select.select([p.stdout], [], [], timeout)
        t = time.monotonic() - t0 if ready and p.stdout.read1(1) else None
    finally:
        p.kill()
        p.wait()
    return t


def unitop_first_byte(home, image, name, extra):
    log = os.path.join(home.dir, "instances", name, "console.log")
    t0 = time.monotonic()
    home.started.append(name)
    p = subprocess.Popen([UNITOP, "run", image, "--name", name, "--detach"] + extra, env=home.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def has_byte():
        try:
            return os.path.getsize(log) > 0
        except OSError:
            return False
    t1 = wait_for(has_byte, 30, interval=0.0005)
    _, err = p.communicate()
    if p.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise NotAvailable("unitop run: %s" % (lines[-1] if lines else p.returncode))
    return None if t1 is None else t1 - t0


def direct_argv(recorded, qmp_dir, machine=None, accel=None):
    """The recorded argv, runnable by hand: no -S, a private QMP socket, optional machine/accel."""
    argv, i = [], 0
    while i < len(recorded):
        a = recorded[i]
        if a == "-S":
            i += 1
            continue
        # The monitor's pre-connected QMP socket pair (descriptor 3, with `cont` queued) does not
        # exist here: drop its chardev and monitor.
        if a in ("-chardev", "-mon") and i + 1 < len(recorded) and "unitop-qmp" in recorded[i + 1]:
            i += 2
            continue
        if a in ("-qmp", "-machine", "-accel", "-cpu") and i + 1 < len(recorded):
            value = recorded[i + 1]
            if a == "-qmp":
                value = "unix:%s/direct.qmp,server=on,wait=off" % qmp_dir
            if a == "-machine" and machine:
                value = machine
            if a == "-accel" and accel:
                value = accel
            if a == "-cpu" and accel == "tcg":
                i += 2
                continue
            argv += [a, value]
            i += 2
            continue
        argv.append(a)
        i += 1
    if accel == "kvm" and "-cpu" not in argv:
        argv[argv.index("-accel") + 2:argv.index("-accel") + 2] = ["-cpu", "kvm64"]
    return argv


def main():
    figure = "boot: run --detach to first byte vs direct QEMU (hello, pc, TCG)"
    try:
        require_unitop()
        image = fixture("hello")
        qmp_dir = tempfile.mkdtemp(prefix="ubq-", dir="/tmp")
        with Home("boot") as home:
            unitop_times, direct_times = [], []
            recorded = None
            for i in range(RUNS):
                name = "boot%d" % i
                t = unitop_first_byte(home, image, name, ["--accel", "tcg", "--memory", "32M"])
                if t is None:
                    raise NotAvailable("no console byte from unitop run within 30 s")
                unitop_times.append(t)
                if recorded is None:
                    inst = home.instance(name) or {}
                    recorded = inst.get("commandLine")
                    if not recorded:
                        raise NotAvailable("ps --json has no commandLine")
                home.unitop("rm", "--force", name, check=False)
                d = direct_first_byte(direct_argv(recorded, qmp_dir))
                if d is None:
                    raise NotAvailable("direct QEMU printed nothing within 30 s")
                direct_times.append(d)
            u, d = median(unitop_times), median(direct_times)
            record(figure + ", median of %d" % RUNS, "<= 1.10x direct", "%.1f ms" % (u * 1000),
                   "direct %.1f ms" % (d * 1000), "%.2fx" % (u / d), yes(u / d <= 1.10))
            # The boot matrix, direct QEMU with unitop's argv (UNITOP_BENCH_BOOT_MATRIX_RUNS=0: skipped).
            for accel in (("kvm", "tcg") if MATRIX_RUNS > 0 else ()):
                for machine in ("pc", "microvm"):
                    runs = 3 if (accel, machine) == ("kvm", "pc") else MATRIX_RUNS
                    cell = "hello launch to first byte, %s %s (direct QEMU, median of %d)" % (machine, accel.upper(), runs)
                    times = [direct_first_byte(direct_argv(recorded, qmp_dir, machine, accel)) for _ in range(runs)]
                    if any(t is None for t in times):
                        not_available(cell, "(reported)", "no first byte within 30 s")
                    else:
                        record(cell, "(reported)", "%.1f ms" % (median(times) * 1000), "", "", "-")
        shutil.rmtree(qmp_dir, ignore_errors=True)
    except NotAvailable as e:
        not_available(figure, "<= 1.10x direct", str(e))


if __name__ == "__main__":
    main()
