"""The TUI in a tmux session of its own (private tmux socket), measured from outside.

Screens are read with `tmux capture-pane`; bytes the TUI writes to its terminal with
`tmux pipe-pane` into a file. Key latency = time from `send-keys` until the screen shows the
expected change, polled as fast as tmux answers (the poll period is reported with each figure).
"""

import os
import subprocess
import tempfile
import time

from common import UNITOP, NotAvailable


class TmuxUI:
    serial = 0

    def __init__(self, home, width=200, height=60, args=()):
        self.home = home
        TmuxUI.serial += 1
        self.socket = "unitop-bench-%d-%d" % (os.getpid(), TmuxUI.serial)
        self.width, self.height = width, height
        self.args = list(args)
        self.pid = None
        self.started_at = None
        self.pipe_file = None

    def tmux(self, *args, check=True):
        p = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and p.returncode != 0:
            raise NotAvailable("tmux %s: %s" % (args[0], p.stderr.decode(errors="replace").strip()))
        return p.stdout.decode(errors="replace")

    def start(self, gate=True):
        """Starts `unitop` in a 200x60 tmux pane. With `gate`, the pane first waits on a FIFO so
        the launch instant is known exactly (`release()` returns it)."""
        env = " ".join("%s=%s" % (k, _quote(v)) for k, v in self.home.env.items()
                       if k.startswith(("UNITOP_", "XDG_")))
        command = "exec env %s %s %s" % (env, _quote(UNITOP), " ".join(_quote(a) for a in self.args))
        self.fifo = None
        if gate:
            self.fifo = tempfile.mktemp(prefix="unitop-bench-gate-")
            os.mkfifo(self.fifo)
            command = "read _ < %s; %s" % (self.fifo, command)
        self.tmux("new-session", "-d", "-s", "ui", "-x", str(self.width), "-y", str(self.height),
                  "sh -c %s" % _quote(command))
        self.tmux("set-option", "-t", "ui", "remain-on-exit", "on")
        if not gate:
            self.started_at = time.monotonic()
            self._find_pid()

    def release(self):
        """Opens the gate: the pane execs unitop now. Returns the monotonic launch time."""
        with open(self.fifo, "w") as f:
            self.started_at = time.monotonic()
            f.write("go\n")
        os.unlink(self.fifo)
        self._find_pid()
        return self.started_at

    def _find_pid(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pid = self.tmux("display-message", "-p", "-t", "ui", "#{pane_pid}").strip()
            if pid.isdigit():
                try:
                    exe = os.readlink("/proc/%s/exe" % pid)
                except OSError:
                    exe = ""
                if exe.endswith("/unitop"):
                    self.pid = int(pid)
                    return
            time.sleep(0.002)

    def alive(self):
        dead = self.tmux("display-message", "-p", "-t", "ui", "#{pane_dead}", check=False).strip()
        return dead == "0"

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "ui", check=False)

    def wait_screen(self, predicate, timeout):
        """Polls the screen; returns (monotonic time it matched, polls) or (None, polls)."""
        deadline = time.monotonic() + timeout
        polls = 0
        while time.monotonic() < deadline:
            text = self.screen()
            polls += 1
            if predicate(text):
                return time.monotonic(), polls
        return None, polls

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "ui", *keys)

    def pipe_output(self):
        """Starts copying everything the TUI writes to its terminal into a file; returns its path."""
        self.pipe_file = tempfile.mktemp(prefix="unitop-bench-pipe-")
        open(self.pipe_file, "w").close()
        self.tmux("pipe-pane", "-o", "-t", "ui", "cat >> %s" % _quote(self.pipe_file))
        return self.pipe_file

    def piped_bytes(self):
        return os.path.getsize(self.pipe_file) if self.pipe_file else 0

    def key_latency(self, key, predicate, timeout=2.0):
        """Seconds from send-keys until `predicate(screen)` holds, and the number of polls."""
        t0 = time.monotonic()
        self.keys(key)
        t1, polls = self.wait_screen(predicate, timeout)
        return (None if t1 is None else t1 - t0), polls

    def stop(self):
        """Quits the TUI (q), then kills only this private tmux server."""
        try:
            if self.alive():
                self.keys("q")
                self.wait_screen(lambda _: not self.alive(), 3)
        except Exception:
            pass
        if self.pid:
            try:
                os.kill(self.pid, 0)
                os.kill(self.pid, 15)
            except OSError:
                pass
        self.tmux("kill-server", check=False)
        socket_path = os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"), "tmux-%d" % os.getuid(), self.socket)
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        for path in (self.pipe_file, getattr(self, "fifo", None)):
            if path and os.path.exists(path):
                os.unlink(path)


def _quote(s):
    return "'" + str(s).replace("'", "'\\''") + "'"
