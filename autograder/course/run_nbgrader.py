"""Run one nbgrader command line with a time limit, its output appended to a log file.

In a single-threaded process that has imported nbgrader (a grading worker, the
coordinator before its threads start) the command runs in a fork: no interpreter
start and none of nbgrader's 3 s of imports.  Forking a process with threads is
unsafe, so elsewhere it runs as ``python -m nbgrader``.
"""
import contextlib
import itertools
import os
import select
import signal
import subprocess
import sys
import threading
import time

from autograder.course import forked


def run(args, cwd, env, log_path, timeout):
    """Exit code of ``nbgrader ARGS`` run in ``cwd`` with ``env``; None if it ran out of ``timeout`` s."""
    if timeout <= 0:
        return None
    if threading.active_count() == 1:
        return _wait_or_kill(_fork(args, cwd, env, log_path), timeout)
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, umask=0o022)  # kernels must read their cwd
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        process.wait()
        return None


def _fork(args, cwd, env, log_path):
    """Fork a child that runs nbgrader's command line in-process; its pid (it leads its own session)."""
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(log)
        return pid
    def nbgrader():
        os.setsid()
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(cwd)
        os.umask(0o022)  # the kernel must read its cwd
        os.environ.clear()
        os.environ.update(env)
        from nbgrader.apps.nbgraderapp import NbGraderApp
        NbGraderApp.launch_instance(list(args))

    forked.run_then_exit(nbgrader)


def _wait_or_kill(pid, timeout):
    """Exit code of child ``pid``; after ``timeout`` s kill its process group and return None."""
    deadline = time.monotonic() + timeout
    try:
        with _exit_of(pid) as wait:
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return os.waitstatus_to_exitcode(status)
                left = deadline - time.monotonic()
                if left <= 0:
                    _kill_group(pid)
                    os.waitpid(pid, 0)
                    return None
                wait(left)
    except BaseException:  # the worker is being stopped: take the run down with it
        _kill_group(pid)
        os.waitpid(pid, 0)
        raise


@contextlib.contextmanager
def _exit_of(pid):
    """``wait(seconds)``: returns when ``pid`` may have exited or ``seconds`` passed.

    A pidfd wakes us as the child exits (Linux 5.3+); elsewhere we poll, at most 0.1 s late
    (an average 50 ms per command, twice a submission).
    """
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        delays = itertools.chain((0.01, 0.02, 0.04, 0.08), itertools.repeat(0.1))
        yield lambda seconds: time.sleep(min(seconds, next(delays)))
        return
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        yield lambda seconds: poller.poll(seconds * 1000)
    finally:
        os.close(fd)


def _kill_group(pid):
    """SIGKILL nbgrader and anything still in its process group."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
