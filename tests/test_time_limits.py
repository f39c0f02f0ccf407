"""Code that never returns costs seconds, and a busy machine costs none: the checks' per-call limits
(CPU time, with a wall-clock limit for code that sleeps) and GuardedExecute's reading of an
interrupted cell.  No kernel needed.

Every test here decides by CPU time or by what the code does, never by how fast this machine is:
a loop that never ends uses up any CPU budget however busy the machine, and a sleeping loop uses
none of it however idle.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from nbformat.notebooknode import NotebookNode

from autograder.kernel import harness
from autograder.kernel.task4_1 import checks
from autograder.nbgrader_ext import ClearTestCellsHiddenTests
from autograder.nbgrader_ext.guarded_execute import busy_machine_output, explain_timeout, interrupted_in


def burn(cpu_seconds):
    """Compute for ``cpu_seconds`` of this process's CPU time."""
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass


class SpinningReLU:
    def forward(self, Z):
        count = 0
        while True:
            try:
                count += 1
            except Exception:  # noqa: BLE001 - a student's catch-all cannot swallow the limit
                pass


class SleepingReLU:
    def forward(self, Z):
        while True:
            time.sleep(0.01)


@pytest.fixture
def short_limits(monkeypatch):
    """0.3 CPU-s per call; a call that waits is stopped after 3 s of wall-clock time (a loaded machine
    running these tests still gives a computing call its 0.3 CPU-s well before that)."""
    monkeypatch.setattr(harness, "CALL_SECONDS", 0.3)
    monkeypatch.setattr(harness, "HANG_FACTOR", 10)
    monkeypatch.setattr(harness, "HANG_MIN_SECONDS", 0)


def test_a_call_that_computes_forever_fails_naming_its_cpu_budget_method_and_input(short_limits):
    with pytest.raises(checks.StudentCodeTimeout,
                       match=r"`ReLU.forward` used its 0.3 s of CPU time without returning on a \(4, 3\)"):
        checks.call("ReLU.forward", SpinningReLU().forward, np.zeros((4, 3)))


def test_a_call_that_sleeps_forever_is_stopped_by_the_wall_clock_and_says_it_was_waiting(short_limits):
    with pytest.raises(checks.StudentCodeTimeout, match=r"did not return within 3 s .*it was waiting"):
        checks.call("ReLU.forward", SleepingReLU().forward, np.zeros((4, 3)))


def test_a_wall_limit_that_runs_out_while_the_kernel_waited_for_a_cpu_is_the_machines_fault(short_limits, monkeypatch):
    waited = iter([0.0, 100.0])  # the run queue's total at the start of the call, then when the wall limit ran out
    monkeypatch.setattr(harness, "run_queue_seconds", lambda: next(waited))
    with pytest.raises(checks.GradingMachineBusy, match=r"too busy to run it: it waited 100 s for a CPU"):
        checks.call("ReLU.forward", SleepingReLU().forward, np.zeros((4, 3)))


def test_a_hang_inside_another_call_names_where_it_was_stuck(short_limits):
    relu = SpinningReLU()
    with pytest.raises(checks.StudentCodeTimeout, match=r"`MLP.forward` .* \(it was running `SpinningReLU.forward`\)"):
        checks.call("MLP.forward", lambda X: relu.forward(X), np.zeros((2, 5)))


def test_each_restarted_step_of_a_loop_gets_the_whole_budget(short_limits):
    steps = []
    with pytest.raises(checks.StudentCodeTimeout, match=r"`ReLU.forward` used its 0.3 s of CPU time"):
        with checks.time_limit("step") as watch:
            for _ in range(4):  # 0.8 CPU-s in all, 0.2 a step
                watch.restart("step")
                burn(0.2)
                steps.append(1)
            watch.restart("ReLU.forward", np.zeros((4, 3)))
            SpinningReLU().forward(None)
    assert len(steps) == 4


def test_mnist_training_names_the_step_that_never_returns(short_limits):
    classes = reference_classes()
    calls = []

    class SlowOnThirdStep(classes["MLP"]):
        def forward(self, X):
            calls.append(1)
            if len(calls) == 3:
                SpinningReLU().forward(X)
            return super().forward(X)

        def backward(self, upstream):
            burn(0.2)  # two steps outlast one budget: each step gets its own
            return super().backward(upstream)

    with pytest.raises(checks.StudentCodeTimeout, match=r"`MLP.forward` used its 0.3 s of CPU time without returning "
                                                        r"on a \(32, 784\)"):
        checks.train_and_score_mnist(SlowOnThirdStep, classes["CrossEntropyLoss"], classes["SGD"], tiny_mnist())


def reference_classes():
    from autograder.course import synthetic_submissions
    from autograder.course.layout import GRADED_CLASSES

    classes = {"np": np}
    answers = synthetic_submissions.reference_answers()
    for grade_id in GRADED_CLASSES.values():
        exec(compile(answers[grade_id], grade_id, "exec"), classes)
    return classes


def tiny_mnist():
    rng = np.random.default_rng(0)
    return (rng.random((2000, 784), dtype=np.float32), rng.integers(0, 10, 2000), np.zeros((10, 784), np.float32),
            np.zeros(10, np.int64))


def test_running_out_of_the_training_budget_suggests_loops_only_when_a_step_is_measured_that_slow(monkeypatch):
    classes = reference_classes()

    class LoopOverSamples(classes["MLP"]):
        def forward(self, X):
            # what a Python loop over 32 samples costs on a slow machine, far above a matrix step even when
            # this process's two BLAS threads spin on a busy machine (kernels have one: no spinning there)
            burn(0.2)
            return super().forward(X)

    monkeypatch.setattr(checks, "MNIST_TIME_LIMIT", 1.0)
    monkeypatch.setattr(checks, "MNIST_EARLY_CHECK", 10**9)
    with pytest.raises(AssertionError) as slow:
        checks.train_and_score_mnist(LoopOverSamples, classes["CrossEntropyLoss"], classes["SGD"], tiny_mnist())
    assert "used its 1 s of CPU time and stopped at sample" in str(slow.value)
    assert "look for Python loops" in str(slow.value), str(slow.value)

    monkeypatch.setattr(checks, "MNIST_TIME_LIMIT", 0.05)  # the reference itself, with too small a budget
    with pytest.raises(AssertionError) as tight:
        checks.train_and_score_mnist(classes["MLP"], classes["CrossEntropyLoss"], classes["SGD"], tiny_mnist())
    assert "of CPU time and stopped at sample" in str(tight.value)
    assert "loops" not in str(tight.value), f"a hint the measurement does not support: {tight.value}"


def test_the_limits_are_removed_after_the_call(short_limits):
    assert checks.call("fast", lambda: 7) == 7
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0 and signal.getitimer(signal.ITIMER_PROF)[0] == 0
    burn(0.4)
    time.sleep(0.7)  # no alarm left behind


def test_a_slow_but_finite_call_passes(monkeypatch):
    monkeypatch.setattr(harness, "CALL_SECONDS", 1)
    assert checks.call("slow", lambda: burn(0.3) or "done") == "done"


STARVED_CALL = textwrap.dedent("""
    import os, time
    from autograder.kernel.task4_1 import checks
    from autograder.kernel import harness
    harness.HANG_FACTOR, harness.HANG_MIN_SECONDS = 1, 0
    os.sched_setaffinity(0, {0})
    def spin():
        while True:
            pass
    try:
        checks.call("MLP.forward", spin)
    except checks.GradingMachineBusy as exc:
        print("busy:", exc)
    except AssertionError as exc:
        print("timeout:", exc)
""")


def test_a_call_starved_of_cpu_by_other_processes_is_the_machines_fault_not_a_timeout():
    """Real starvation: the call shares one core with four processes that compute; within its wall-clock
    limit it gets about a fifth of the core, so it spends most of the limit waiting in the run queue."""
    hogs = [subprocess.Popen([sys.executable, "-c", "import os\nos.sched_setaffinity(0, {0})\nwhile True: pass"])
            for _ in range(4)]
    try:
        run = subprocess.run([sys.executable, "-c", STARVED_CALL],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    finally:
        for hog in hogs:
            hog.kill()
    assert run.stdout.startswith("busy:"), run.stdout + run.stderr


def test_the_machines_share_of_a_cell_is_what_it_stopped_queued_or_stole():
    from autograder.nbgrader_ext.kernel_watch import Usage
    computed = Usage(wall=15, cpu=14.8, waited=0.2, stopped=0, runnable=15)
    slept = Usage(wall=15, cpu=0.1, waited=0, stopped=0, runnable=0.1)
    queued = Usage(wall=15, cpu=5, waited=10, stopped=0, runnable=15)
    stopped = Usage(wall=15, cpu=1, waited=0.5, stopped=10, runnable=1.5)
    stolen = Usage(wall=15, cpu=4, waited=0, stopped=0, runnable=15)  # a virtual machine's host ran others
    two_threads = Usage(wall=10, cpu=19, waited=0.5, stopped=0, runnable=10)
    assert [u.own for u in (computed, slept, queued, stopped, stolen, two_threads)] == [14.8, 15, 5, 4.5, 4, 9.5]
    assert not computed.starved() and not slept.starved() and not two_threads.starved()
    assert queued.starved() and stopped.starved() and stolen.starved()


def test_the_watch_sees_a_stopped_process_from_outside():
    from autograder.nbgrader_ext.kernel_watch import KernelWatch
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        watch = KernelWatch(sleeper.pid)
        time.sleep(0.5)
        os.kill(sleeper.pid, signal.SIGSTOP)
        time.sleep(1.5)
        os.kill(sleeper.pid, signal.SIGCONT)
        wall, cpu, waited, stopped, _ = watch.since_mark()
        watch.close()
    finally:
        sleeper.kill()
    assert 1.0 <= stopped <= wall and cpu < 0.5, (wall, cpu, waited, stopped)


def test_a_cell_the_machine_held_too_long_becomes_a_busy_machine_error_that_says_how():
    from autograder.nbgrader_ext.kernel_watch import Usage
    output = busy_machine_output(15, Usage(wall=60, cpu=0.4, waited=3.0, stopped=55.0, runnable=3.5))
    assert output.ename == "GradingMachineBusy", output
    for said in ("of 60 s it took 58 s", "waiting for a CPU 3 s", "stopped 55 s", "own time (1.9 s, computing 0.4 s)",
                 "its 15 s limit", "Not a fault of the submission"):
        assert said in output.evalue, (said, output.evalue)


def ipython_interrupt(frames):
    lines = ["\x1b[0;31mKeyboardInterrupt\x1b[0m   Traceback (most recent call last)"]
    lines += [f"Cell \x1b[0;32mIn[{12 + i}], line {i + 3}, in \x1b[0;36m{name}\x1b[0m(self, Z)" for i, name in
              enumerate(frames)]
    return NotebookNode(output_type="error", ename="KeyboardInterrupt", evalue="", traceback=lines)


def test_an_interrupted_cell_says_which_notebook_function_hung():
    outputs = [ipython_interrupt(["<module>", "MLP.forward", "ReLU.forward"]),
               NotebookNode(output_type="error", ename="CellTimeoutError", evalue="", traceback=[])]
    assert interrupted_in(outputs) == "ReLU.forward"
    explain_timeout(outputs, 15)
    assert outputs[1].evalue == "`ReLU.forward` did not return within 15 s; the cell was interrupted there"


def test_a_cell_whose_own_code_hung_says_so():
    outputs = [NotebookNode(output_type="error", ename="CellTimeoutError", evalue="", traceback=[])]
    explain_timeout(outputs, 6)
    assert outputs[0].evalue == "the cell did not finish within 6 s and was interrupted"


def cell(source, **nbgrader):
    return NotebookNode(cell_type="code", source=source, metadata={"nbgrader": nbgrader} if nbgrader else {},
                        outputs=[], execution_count=None)


def test_marker_text_in_student_cells_is_left_alone_and_test_cells_are_cleared():
    student = "# ### BEGIN HIDDEN TESTS\n# ### BEGIN HIDDEN TESTS\nx = 1"
    answer = cell(student, grade=True, solution=True, grade_id="exercise", points=2)
    own = cell(student)
    test = cell("visible()\n### BEGIN HIDDEN TESTS\nhidden()\n### END HIDDEN TESTS", grade=True, solution=False,
                grade_id="test", points=1, locked=True)
    stage = ClearTestCellsHiddenTests()
    for c in (answer, own):
        assert stage.preprocess_cell(c, {}, 0)[0].source == student
    assert stage.preprocess_cell(test, {}, 0)[0].source == "visible()"
