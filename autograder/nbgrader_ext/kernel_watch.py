"""What the student's kernel did while a cell ran, seen from outside it: computing, waiting for a CPU, stopped.

A cell's time limit is wall-clock time, there to stop code that hangs. When it runs out, this tells a
hang (the kernel computed or slept through the limit) from a starved kernel (it was runnable but got
no CPU, or the system stopped it), which is the grading machine's fault and never a score. It reads
Linux's /proc for the kernel's process, whose id the kernel reports before any student code runs,
so nothing the student's code does changes what is measured.
"""
import os
import threading
import time

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


class KernelWatch:
    """Samples the kernel process every TICK seconds; ``since_mark()`` sums what happened since ``mark()``."""

    def __init__(self, pid):
        self.pid = pid
        self._lock = threading.Lock()
        self._stopped = 0.0
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
                self._last = now

    def mark(self):
        _, cpu, waited = self._read()
        with self._lock:
            self._marked = (time.monotonic(), cpu, waited, self._stopped)

    def since_mark(self):
        """(wall seconds, CPU seconds, seconds runnable but waiting for a CPU, seconds stopped) since mark()."""
        return self._since(self._marked)

    def since_start(self):
        """The same since the watch began (the kernel's first cell)."""
        return self._since(self._started)

    def _since(self, origin):
        _, cpu, waited = self._read()
        with self._lock:
            started, cpu0, waited0, stopped0 = origin
            stopped = self._stopped - stopped0
        return (time.monotonic() - started, (cpu - cpu0) if None not in (cpu, cpu0) else 0.0,
                (waited - waited0) if None not in (waited, waited0) else 0.0, stopped)

    def close(self):
        self._done.set()


def starved(wall, waited, stopped, share=0.5):
    """Whether the machine, not the code, used at least ``share`` of the time a limit counted."""
    return wall > 0 and (waited + stopped) >= share * wall
