"""GuardedExecute's cell limits count the kernel's own time, in a real kernel with small limits.

The machine's interference is made real by the cell itself: a child process stops the kernel
(SIGSTOP) for a while, or two processes that compute share the kernel's core. Each test decides by
what the code does (it computes 1 CPU-s, it never returns), so a slower or busier machine changes how
long a test takes, not its outcome.
"""
import os
import signal
import textwrap
import threading

import nbformat
import pytest
from nbclient.util import run_sync
from nbformat.v4 import new_code_cell, new_notebook

from autograder.grading import grade_one
from autograder.limits import Limits
from autograder.nbgrader_ext.guarded_execute import GuardedExecute
from autograder.result import Result, Status

pytestmark = [pytest.mark.kernel,
              pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="pins processes to one core (Linux)")]

BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end:\n    pass\n"
FOREVER = "while True:\n    pass\n"
# The kernel stops itself: a child sends SIGSTOP, then SIGCONT `seconds` later.
STOPPED = ("import os, subprocess, time\n"
           "subprocess.Popen(['sh', '-c', f'sleep 0.3; kill -STOP {{os.getpid()}}; sleep {seconds}; "
           "kill -CONT {{os.getpid()}}'])\n"
           "time.sleep(1.0)\n")
# The kernel shares core 0 with two processes that compute, for the cell's whole run.
SHARED_CORE = """\
import os, subprocess, sys
os.sched_setaffinity(0, {{0}})
hogs = [subprocess.Popen([sys.executable, "-c", "import os\\nos.sched_setaffinity(0, {{0}})\\nwhile True: pass"])
        for _ in range(2)]
try:
{body}
finally:
    for hog in hogs:
        hog.kill()
"""


def shared_core(body):
    return SHARED_CORE.format(body=textwrap.indent(body, "    "))


def graded(source, grade_id="check"):
    return new_code_cell(source, metadata={"nbgrader": {"grade": True, "grade_id": grade_id, "points": 1,
                                                        "solution": False, "locked": True}})


def run(*cells, quick_timeout=2, busy_wall_factor=4.0, **stage_options):
    """The notebook of ``cells`` after GuardedExecute; every cell but data loading gets ``quick_timeout``."""
    kernel = {"name": "python3", "display_name": "Python 3"}
    nb = new_notebook(cells=[new_code_cell("x = 1"), *cells], metadata={"kernelspec": kernel})
    stage = GuardedExecute(quick_timeout=quick_timeout, busy_wall_factor=busy_wall_factor,
                           **{"timeout": 120, **stage_options})
    stage.preprocess(nb, {"nbgrader": {"assignment": "cell-limits"}})
    nbformat.validate(nb)
    return nb


def stop_for(seconds, stage):
    """Stop ``stage``'s kernel (SIGSTOP), as a busy machine can, and let it go on ``seconds`` later."""
    pid = stage.km.provisioner.process.pid
    os.kill(pid, signal.SIGSTOP)
    threading.Timer(seconds, os.kill, (pid, signal.SIGCONT)).start()


def errors(cell):
    return [(o.ename, o.evalue) for o in cell.outputs if o.output_type == "error"]


def test_a_kernel_the_machine_stopped_past_the_limit_finishes_its_cell():
    nb = run(graded(STOPPED.format(seconds=4)), graded("assert x == 1", "after"))
    assert errors(nb.cells[1]) == [] and errors(nb.cells[2]) == []


def test_a_kernel_the_machine_holds_past_its_wall_factor_is_the_machines_fault():
    nb = run(graded(STOPPED.format(seconds=8)), busy_wall_factor=2.0)
    [(ename, evalue)] = errors(nb.cells[1])
    assert ename == "GradingMachineBusy", evalue
    assert "stopped" in evalue and "Not a fault of the submission" in evalue, evalue


def test_a_kernel_sharing_its_core_finishes_work_within_its_own_limit():
    """1 CPU-s of work under a 2 s limit takes about 3 s on a core shared three ways: it passes."""
    nb = run(graded(shared_core(BURN.format(seconds=1.0))))
    assert errors(nb.cells[1]) == []


def test_code_that_never_returns_on_a_shared_core_is_stopped_as_its_own_timeout():
    nb = run(graded(shared_core(FOREVER)), busy_wall_factor=20.0)
    [(ename, evalue)] = [e for e in errors(nb.cells[1]) if e[0] != "KeyboardInterrupt"]
    assert ename == "CellTimeoutError" and "within 2 s" in evalue, evalue


def test_a_checked_call_on_a_shared_core_ends_by_its_cpu_budget_not_the_cells_limit():
    """The CI failure this guards against: a 1 CPU-s call budget inside a 1.5 s cell limit, on a busy machine."""
    call = ("from autograder.kernel import harness\n"
            "harness.CALL_SECONDS = 1\n"
            "def spin(Z):\n" + textwrap.indent(FOREVER, "    ") +
            "harness.call('ReLU.forward', spin, 0)\n")
    nb = run(graded(shared_core(call)), quick_timeout=2, busy_wall_factor=20.0)
    [(ename, evalue)] = errors(nb.cells[1])
    assert "used its 1 s of CPU time" in evalue, (ename, evalue)


@pytest.mark.parametrize("when, options", [
    ("before", {"startup_timeout": 2}),   # jupyter_client's readiness wait runs out
    ("after", {"timeout": 2}),            # ready, then silent to nbconvert's first request
])
def test_a_kernel_silent_before_the_first_cell_is_the_machines_fault(when, options, monkeypatch):
    """The machine stops the kernel before any cell: every graded cell says so, none says the code failed."""
    start_client = GuardedExecute.async_start_new_kernel_client

    async def stopped_around_start(stage):
        if when == "before":
            stop_for(6, stage)
        client = await start_client(stage)
        if when == "after":
            stop_for(6, stage)
        return client

    monkeypatch.setattr(GuardedExecute, "start_new_kernel_client", run_sync(stopped_around_start))  # setup_kernel's
    nb = run(graded("assert x == 1", "first"), graded("assert x == 1", "second"), **options)
    for cell in nb.cells[1:]:
        [(ename, evalue)] = errors(cell)
        assert ename == "KernelSilentAtStart", (ename, evalue)
        assert "did not answer before the notebook's first cell" in evalue and "2 s" in evalue, evalue
    assert nb.cells[0].outputs == []  # an ungraded cell is left as it was, not run
    row = Result("s", status=Status.GRADED)
    grade_one.note_incidents(row, nb, Limits())  # what the grade command makes of this notebook
    assert row.status == Status.GRADER_ERROR and "The next run of grade grades it again" in row.detail, row
