"""run_nbgrader's wait for a forked command: its exit code, or None and nothing left after the time limit."""
import os
import time

import pytest

from autograder.course import run_nbgrader


def fork_child(seconds, code):
    pid = os.fork()
    if pid == 0:
        os.setsid()  # a command leads its own process group, as run_nbgrader's forks do
        time.sleep(seconds)
        os._exit(code)
    return pid


@pytest.fixture(params=["pidfd", "polling"])
def waiting(request, monkeypatch):
    if request.param == "polling":
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    return request.param


def test_the_exit_code_of_a_command_that_finishes(waiting):
    assert run_nbgrader._wait_or_kill(fork_child(0.2, 3), timeout=60) == 3


def test_a_command_out_of_time_is_killed_and_reaped(waiting):
    pid = fork_child(60, 0)
    assert run_nbgrader._wait_or_kill(pid, timeout=0.3) is None
    with pytest.raises(ChildProcessError):  # already reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)
