"""The coordinator's side of the grading workers: start them, send them jobs, stop them.

``start_workers`` starts one host that forks the workers; a ``WorkerProcess`` without one starts a standalone
worker (``python -m autograder.grading.worker``).  The worker process itself, and the protocol, is ``grading.worker``.
"""
import json
import os
import signal
import subprocess
import sys
import threading

from autograder.course import environment, layout
from autograder.errors import GraderFault
from autograder.result import Result


class WorkerDied(GraderFault):
    """The worker process exited or stopped answering."""


class WorkerFault(GraderFault):
    """The worker could not grade the job: its machine, not the submission, is at fault."""


def _popen(args, **kwargs):
    # a session of its own: Ctrl-C at the terminal reaches the coordinator alone, which stops its workers
    # (and says what was saved) instead of every process printing its own traceback
    return subprocess.Popen([sys.executable, "-m", "autograder.grading.worker", *args], env=environment.child_env(),
                            cwd=layout.REPO, start_new_session=True, **kwargs)


def start_workers(count, warm_up=None):
    """(host process, ``count`` WorkerProcess): workers forked by one host that prepared once.

    Their imports overlap whatever the caller does next; ``warm_up``: the release notebook they warm up on.
    """
    handles, pipes, child_ends = [], [], []
    for _ in range(count):
        requests_read, requests_write = os.pipe()  # our ends stay out of every other child (not inheritable)
        replies_read, replies_write = os.pipe()
        handles.append(WorkerProcess(os.fdopen(requests_write, "w", buffering=1), os.fdopen(replies_read)))
        pipes.append(f"{requests_read}:{replies_write}")
        child_ends += [requests_read, replies_write]
    try:
        process = _popen([*(["--warm-up", str(warm_up)] if warm_up else []), "--host", *pipes], pass_fds=child_ends,
                         stdin=subprocess.DEVNULL)
    finally:
        for fd in child_ends:
            os.close(fd)
    return process, handles


class WorkerProcess:
    """The coordinator's side of one worker; ``grade`` is called by one thread at a time.

    ``requests``/``replies``: pipes of a worker forked by a host (``start_workers``); without them,
    or once that worker died, ``start`` starts a standalone worker.
    """

    def __init__(self, requests=None, replies=None):
        self.requests, self.replies = requests, replies
        self.process = None  # a standalone worker's Popen
        self.pid = None      # known once the worker said it is ready
        self.lock = threading.Lock()

    def start(self):
        """Start a standalone worker if there is none, without waiting for its imports (they overlap other work)."""
        if self.requests is None:
            self.process = _popen([], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
            self.requests, self.replies, self.pid = self.process.stdin, self.process.stdout, None
        return self

    def _read(self):
        line = self.replies.readline()
        if not line:
            code = f" (code {self.process.wait()})" if self.process else ""
            self._forget()
            raise WorkerDied(f"the grading worker exited{code}; see its messages above")
        return json.loads(line)

    def _forget(self):
        for pipe in filter(None, (self.requests, self.replies)):
            try:
                pipe.close()
            except OSError:
                pass
        self.requests = self.replies = self.process = self.pid = None

    def grade(self, student_id, notebook, slot, spec):
        """grade_one.grade_one in the worker; raises WorkerDied (the next call starts a new worker)."""
        with self.lock:
            self.start()
            if self.pid is None:
                self.pid = self._read().get("pid")
            job = {"student_id": student_id, "notebook": str(notebook), "slot": slot, "spec": spec.to_json()}
            try:
                self.requests.write(json.dumps(job) + "\n")
                self.requests.flush()
            except BrokenPipeError:
                self._forget()
                raise WorkerDied("the grading worker exited before taking the job") from None
            result = self._read()
            if "worker_error" in result:
                raise WorkerFault(result["worker_error"])
            return Result.from_json(result)

    def stop(self):
        """Ask the worker to exit: an idle one at the end of its requests, a busy one by SIGTERM (it cleans up)."""
        if self.requests is None:
            return
        if self.lock.acquire(blocking=False):
            try:
                self.requests.close()  # end of input: the worker returns, or exits once ready
            except OSError:
                pass
            if self.pid is None and self.process is not None:
                self.process.terminate()  # still importing: not worth waiting for
            self.lock.release()
        else:
            self.signal(signal.SIGTERM)

    def signal(self, number):
        pid = self.process.pid if self.process else self.pid
        if pid:
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                pass

    def wait_stopped(self, timeout=30):
        """After ``stop``: wait for a standalone worker to exit (kill it after ``timeout`` s)."""
        if self.process is not None:
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.lock.acquire(blocking=False):
            self._forget()
            self.lock.release()

    def close(self):
        self.stop()
        self.wait_stopped()
