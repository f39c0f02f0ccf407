"""What the student's kernel did while a cell ran, seen from outside it: computing, waiting for a CPU, stopped.

A cell's time limit counts the kernel's own time: computing, or waiting by its own choice (a sleep,
input(), a lock). Time the machine took does not count: waiting in the run queue for a CPU, stopped
(SIGSTOP), or runnable without computing (a virtual machine's stolen time). ``Usage`` splits a
stretch of wall-clock time into the two. It reads Linux's /proc for the kernel's process, whose id
the kernel reports before any student code runs, so nothing the student's code does changes what is
measured.
"""
import os
import threading
import time
from typing import NamedTuple

TICK = 0.2  # seconds between samples


def _cpu_seconds(pid):
    """utime + stime of the whole process (every thread), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_queue_seconds(pid):
    waited = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                waited += int(handle.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return waited / 1e9


class Usage(NamedTuple):
    """What the kernel did during ``wall`` seconds (cpu: every thread; the rest: its main thread)."""

    wall: float
    cpu: float       # seconds computing
    waited: float    # runnable, waiting in the run queue for a CPU
    stopped: float   # stopped by a signal or a debugger
    runnable: float  # in state R (running or ready to run), sampled every TICK

    @property
    def machine(self):
        """Seconds the machine took from the kernel: stopped, or runnable but not computing."""
        return min(self.wall, self.stopped + max(self.waited, self.runnable - self.cpu))

    @property
    def own(self):
        """Seconds that count against a limit: computing, or waiting by the code's own choice."""
        return self.wall - self.machine

    def starved(self, share=0.5):
        """Whether the machine, not the code, used at least ``share`` of the time."""
        return self.wall > 0 and self.machine >= share * self.wall


class KernelWatch:
    """Samples the kernel process every TICK seconds; ``since_mark()`` sums what happened since ``mark()``."""

    def __init__(self, pid):
        self.pid = pid
        self._lock = threading.Lock()
        self._stopped = 0.0
        self._runnable = 0.0
        self._last = time.monotonic()
        self._done = threading.Event()
        self.mark()
        self._started = self._marked
        self._thread = threading.Thread(target=self._sample, name="kernel-watch", daemon=True)
        self._thread.start()

    def _read(self):
        try:
            state, cpu = _cpu_seconds(self.pid)
            return state, cpu, _run_queue_seconds(self.pid)
        except (OSError, ValueError, IndexError):
            return "?", None, None

    def _sample(self):
        while not self._done.wait(TICK):
            state, _, _ = self._read()
            now = time.monotonic()
            with self._lock:
                if state in ("T", "t"):  # stopped (SIGSTOP, a debugger): it cannot run at all
                    self._stopped += now - self._last
                elif state == "R":
                    self._runnable += now - self._last
                self._last = now

    def mark(self):
        _, cpu, waited = self._read()
        with self._lock:
            self._marked = (time.monotonic(), cpu, waited, self._stopped, self._runnable)

    def since_mark(self):
        """The kernel's Usage since mark()."""
        return self._since(self._marked)

    def since_start(self):
        """The same since the watch began (the kernel's first cell)."""
        return self._since(self._started)

    def _since(self, origin):
        _, cpu, waited = self._read()
        with self._lock:
            started, cpu0, waited0, stopped0, runnable0 = origin
            stopped, runnable = self._stopped - stopped0, self._runnable - runnable0
        return Usage(time.monotonic() - started, (cpu - cpu0) if None not in (cpu, cpu0) else 0.0,
                     (waited - waited0) if None not in (waited, waited0) else 0.0, stopped, runnable)

    def close(self):
        self._done.set()

