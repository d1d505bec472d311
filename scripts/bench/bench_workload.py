"""Figure 10: real workloads (issue 10).

(a) Time to the first HTTP answer: `unitop run --detach` of the netguest fixture (Debian's
    kernel + a busybox initramfs serving HTTP on port 80) with `--initrd` and
    `-p 127.0.0.1:P:80`, until `GET /` on P answers `unitop-netguest ok`, next to raw QEMU started
    with the same argv (the `commandLine` unitop recorded, minus the monitor's plumbing: `-S`,
    the pre-connected QMP socket pair, unitop's QMP socket path). Median of N runs each,
    alternating; target <= 1.10x. Per backend (`--backend qemu`, `--backend libvirt`
    (qemu:///system)); a backend that cannot run it is n/a with the reason. Raw QEMU runs the
    qemu backend's argv (libvirt's own command line is not unitop's to take apart).
(b) Boot time of the disk fixtures (raw `disk.img` and `disk.qcow2`, an MBR boot sector that
    prints one line on COM1 and exits through isa-debug-exit with code 7), booted by SeaBIOS from
    the first drive: `unitop run --detach` until the monitor wrote the exit record, with unitop's
    own bootMillis (QEMU leaving -S to the first byte); raw QEMU with unitop's argv, launch to the
    first console line and to the exit.

The HTTP client polls every 10 ms; each attempt is a fresh connection given 250 ms to answer (a
SYN sent before the guest's network was up is retransmitted by slirp only seconds later: a
new connection gets a new SYN). The same client times unitop and raw QEMU.

usage: bench_workload.py [--backend qemu|libvirt]... [--runs N] [--accel tcg|kvm|auto]
       (default: both backends, UNITOP_BENCH_WORKLOAD_RUNS or 5 runs, UNITOP_BENCH_WORKLOAD_ACCEL
       or tcg; this host's KVM is PVM, where Debian's kernel does not boot)
Without a `--publish` flag in `unitop run` (while the CLI half of issue 10 is not merged), the
workload goes in the image's sidecar instead (same spec, same resolver), and the table says so.
"""

import argparse
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from bench_boot import direct_argv
from common import (FIXTURES, UNITOP, Home, NotAvailable, free_port, median, not_available, record,
                    require_unitop, wait_for, yes)

RUNS = int(os.environ.get("UNITOP_BENCH_WORKLOAD_RUNS", "5"))
ACCEL = os.environ.get("UNITOP_BENCH_WORKLOAD_ACCEL", "tcg")
URI = "qemu:///system"
TIMEOUT = 180


def fixture_file(relative, make_target):
    path = os.path.join(FIXTURES, relative)
    if not os.path.exists(path):
        raise NotAvailable("fixture %s missing: make -C fixtures %s" % (relative, make_target))
    return path


def http_ok(port):
    """True when GET / on 127.0.0.1:port answers with the netguest's page within 250 ms."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.25) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            while len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"HTTP/") and b"unitop-netguest ok" in data
    except OSError:
        return False


def until_http(port, t0):
    t = wait_for(lambda: http_ok(port), TIMEOUT, interval=0.01)
    return None if t is None else t - t0


class Workload:
    """How `unitop run` is given the netguest's workload: flags, or the image's sidecar."""

    def __init__(self, home, flags):
        self.flags = flags
        kernel = fixture_file("netguest/vmlinuz", "netguest")
        self.initrd = fixture_file("netguest/initrd.cpio.gz", "netguest")
        self.image = kernel
        if not flags:
            images = os.path.join(home.dir, "images")
            os.makedirs(images, exist_ok=True)
            self.image = os.path.join(images, "netguest")
            shutil.copyfile(kernel, self.image)

    def args(self, port):
        publish = "127.0.0.1:%d:80" % port
        if self.flags:
            return ["--memory", "256M", "--append", "console=ttyS0", "--initrd", self.initrd, "-p", publish]
        with open(self.image + ".toml", "w") as f:
            f.write('memory = "256M"\nappend = "console=ttyS0"\ninitrd = %s\npublish = [%s]\n'
                    % (json.dumps(self.initrd), json.dumps(publish)))
        return []


def backend_args(backend):
    return ["--backend", backend] + (["--connect", URI] if backend == "libvirt" else [])


def unitop_to_http(home, workload, backend, name, accel):
    """Seconds from `unitop run --detach` to the first HTTP answer; the instance stays."""
    port = free_port()
    argv = [UNITOP, "run", workload.image, "--name", name, "--detach", "--accel", accel] \
        + workload.args(port) + backend_args(backend)
    home.started.append(name)
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=home.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    checked = []

    def answered():
        if http_ok(port):
            return True
        if not checked and p.poll() is not None:
            # `unitop run` returned: it failed, or the backend must list the published port.
            checked.append(True)
            err = p.stderr.read().decode(errors="replace").strip().splitlines()
            if p.returncode != 0:
                raise NotAvailable("unitop run: %s" % (err[-1] if err else p.returncode))
            if not inspect(home, backend, name).get("ports"):
                raise NotAvailable("the %s backend started it without the published port" % backend)
        return False
    t = wait_for(answered, TIMEOUT, interval=0.01)
    p.wait()
    if t is None:
        raise NotAvailable("no HTTP answer within %d s" % TIMEOUT)
    return t - t0


def inspect(home, backend, name):
    out = home.unitop("inspect", name, *backend_args(backend)).stdout
    return json.loads(out)


def direct_to_http(argv):
    """Seconds from spawning raw QEMU to the first HTTP answer on the argv's forwarded port."""
    port = int(next(a for a in argv if "hostfwd=tcp:" in a).split("hostfwd=tcp:")[1].split(":")[1].split("-")[0])
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return until_http(port, t0)
    finally:
        p.kill()
        p.wait()


def remove(home, backend, name):
    home.unitop("rm", "--force", name, *backend_args(backend), check=False, timeout=120)


def bench_http(backends, runs, accel, qmp_dir):
    require_unitop()
    flags = b"--publish" in subprocess.run([UNITOP, "run", "--help"], stdout=subprocess.PIPE).stdout
    how = "" if flags else " [workload via the image sidecar: this unitop has no --publish yet]"
    recorded = None
    for backend in backends:
        figure = "workload: run --detach to first HTTP answer vs raw QEMU (netguest, %s, %s, %s)" % (
            "pc", accel.upper(), backend)
        try:
            with Home("workload-" + backend) as home:
                workload = Workload(home, flags)
                ours, raw = [], []
                for i in range(runs):
                    name = "wl%s%d" % (backend[0], i)
                    try:
                        ours.append(unitop_to_http(home, workload, backend, name, accel))
                        inst = inspect(home, backend, name)
                    finally:
                        # Home only removes from the default backend: a libvirt domain must go too.
                        remove(home, backend, name)
                    if backend == "qemu" or recorded is None:
                        recorded = inst.get("commandLine") or recorded
                    if not recorded:
                        raise NotAvailable("inspect has no commandLine to start raw QEMU with")
                    d = direct_to_http(direct_argv(recorded, qmp_dir))
                    if d is None:
                        raise NotAvailable("raw QEMU: no HTTP answer within %d s" % TIMEOUT)
                    raw.append(d)
                    print("workload %s run %d: unitop %.0f ms, raw QEMU %.0f ms" % (backend, i + 1, ours[-1] * 1000, d * 1000),
                          file=sys.stderr)
                u, d = median(ours), median(raw)
                record(figure + ", median of %d%s" % (runs, how), "<= 1.10x raw", "%.0f ms" % (u * 1000),
                       "raw QEMU %.0f ms" % (d * 1000), "%.2fx" % (u / d), yes(u / d <= 1.10))
        except NotAvailable as e:
            not_available(figure, "<= 1.10x raw", str(e))


def direct_disk(argv):
    """(seconds to the first console line, seconds to the exit, exit status) of raw QEMU."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first, buf = None, b""
    try:
        while True:
            r, _, _ = select.select([p.stdout], [], [], 30)
            if not r:
                return None, None, None
            chunk = p.stdout.read1(4096)
            if not chunk:
                break
            buf += chunk
            if first is None and b"\n" in buf:
                first = time.monotonic() - t0
        status = p.wait(timeout=30)
        return first, time.monotonic() - t0, status
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def bench_disks(runs, accel, qmp_dir):
    require_unitop()
    for file in ("disk.img", "disk.qcow2"):
        figure = "disk image boot: %s (pc, %s, SeaBIOS from the first drive)" % (file, accel.upper())
        try:
            image = fixture_file(file, "disks")
            with Home("disk") as home:
                boots, ends, recorded = [], [], None
                for i in range(runs):
                    name = "disk%d" % i
                    exit_record = os.path.join(home.dir, "instances", name, "exit.json")
                    t0 = time.monotonic()
                    home.run(image, name, "--accel", accel, "--backend", "qemu")
                    t1 = wait_for(lambda: os.path.exists(exit_record), 60)
                    if t1 is None:
                        raise NotAvailable("unitop: no exit within 60 s")
                    ends.append(t1 - t0)
                    inst = home.wait_state(name, ("exited", "crashed", "stopped"), timeout=60)
                    if inst.get("state") != "exited" or inst.get("exitCode") != 7:
                        raise NotAvailable("unitop: %s %s" % (inst.get("state"), inst.get("exitReason")))
                    boots.append(inst.get("bootMillis") or float("nan"))
                    recorded = recorded or inst.get("commandLine")
                    remove(home, "qemu", name)
                firsts, exits = [], []
                for _ in range(runs):
                    first, end, status = direct_disk(direct_argv(recorded, qmp_dir))
                    if first is None or status != 15:
                        raise NotAvailable("raw QEMU: first line %s, status %s" % (first, status))
                    firsts.append(first)
                    exits.append(end)
                record(figure + ", median of %d" % runs, "(reported)",
                       "unitop: run --detach to exit %.0f ms, bootMillis %.0f ms" % (median(ends) * 1000, median(boots)),
                       "raw QEMU: first line %.0f ms, exit (code 7) %.0f ms" % (median(firsts) * 1000, median(exits) * 1000),
                       "", "-")
        except NotAvailable as e:
            not_available(figure, "(reported)", str(e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", action="append", choices=("qemu", "libvirt"))
    ap.add_argument("--runs", type=int, default=RUNS)
    ap.add_argument("--accel", default=ACCEL, choices=("tcg", "kvm", "auto"))
    ap.add_argument("--only", choices=("http", "disks"))
    a = ap.parse_args()
    qmp_dir = tempfile.mkdtemp(prefix="ubw-", dir="/tmp")
    try:
        if a.only != "disks":
            bench_http(a.backend or ["qemu", "libvirt"], a.runs, a.accel, qmp_dir)
        if a.only != "http":
            bench_disks(a.runs, a.accel, qmp_dir)
    except NotAvailable as e:
        not_available("workload", "", str(e))
    finally:
        shutil.rmtree(qmp_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
