"""Code that never returns costs seconds: the checks' per-call limit and GuardedExecute's reading of
an interrupted cell.  No kernel needed."""
import time

import numpy as np
import pytest
from nbformat.notebooknode import NotebookNode

from autograder import checks
from autograder.nbgrader_ext import ClearTestCellsHiddenTests
from autograder.nbgrader_ext.guarded_execute import explain_timeout, interrupted_in


class HangingReLU:
    def forward(self, Z):
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # noqa: BLE001 - a student's catch-all cannot swallow the limit
                pass


def test_a_call_that_never_returns_fails_naming_the_method_and_input(monkeypatch):
    monkeypatch.setattr(checks, "CALL_SECONDS", 0.3)
    start = time.monotonic()
    with pytest.raises(checks.StudentCodeTimeout, match=r"`ReLU.forward` did not return within 0.3 s on a \(4, 3\)"):
        checks.call("ReLU.forward", HangingReLU().forward, np.zeros((4, 3)))
    assert time.monotonic() - start < 2


def test_a_hang_inside_another_call_names_where_it_was_stuck(monkeypatch):
    monkeypatch.setattr(checks, "CALL_SECONDS", 0.3)
    relu = HangingReLU()
    with pytest.raises(checks.StudentCodeTimeout, match=r"`MLP.forward` .* \(it was running `HangingReLU.forward`\)"):
        checks.call("MLP.forward", lambda X: relu.forward(X), np.zeros((2, 5)))


def test_each_restarted_step_of_a_loop_gets_the_whole_limit(monkeypatch):
    monkeypatch.setattr(checks, "CALL_SECONDS", 0.3)
    steps = []
    with pytest.raises(checks.StudentCodeTimeout, match=r"`ReLU.forward` did not return within 0.3 s on a \(4, 3\)"):
        with checks.time_limit("step") as watch:
            for _ in range(4):  # 0.8 s in all, 0.2 s a step
                watch.restart("step")
                time.sleep(0.2)
                steps.append(1)
            watch.restart("ReLU.forward", np.zeros((4, 3)))
            HangingReLU().forward(None)
    assert len(steps) == 4


def test_mnist_training_names_the_step_that_never_returns(monkeypatch):
    from autograder.course import synthetic_submissions
    from autograder.course.layout import GRADED_CLASSES

    monkeypatch.setattr(checks, "CALL_SECONDS", 0.3)
    classes = {"np": np}
    answers = synthetic_submissions.reference_answers()
    for grade_id in GRADED_CLASSES.values():
        exec(compile(answers[grade_id], grade_id, "exec"), classes)
    calls = []

    class SlowOnThirdStep(classes["MLP"]):
        def forward(self, X):
            calls.append(1)
            if len(calls) == 3:
                HangingReLU().forward(X)
            return super().forward(X)

        def backward(self, upstream):
            time.sleep(0.2)  # two steps outlast one limit: each step gets its own
            return super().backward(upstream)

    rng = np.random.default_rng(0)
    data = (rng.random((200, 784), dtype=np.float32), rng.integers(0, 10, 200), np.zeros((10, 784), np.float32),
            np.zeros(10, np.int64))
    with pytest.raises(checks.StudentCodeTimeout, match=r"`MLP.forward` did not return within 0.3 s on a \(32, 784\)"):
        checks.train_and_score_mnist(SlowOnThirdStep, classes["CrossEntropyLoss"], classes["SGD"], data)


def test_the_limit_is_removed_after_the_call(monkeypatch):
    import signal
    monkeypatch.setattr(checks, "CALL_SECONDS", 0.2)
    assert checks.call("fast", lambda: 7) == 7
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    time.sleep(0.3)  # no alarm left behind


def test_a_slow_but_finite_call_passes(monkeypatch):
    monkeypatch.setattr(checks, "CALL_SECONDS", 1)
    assert checks.call("slow", lambda: time.sleep(0.3) or "done") == "done"


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
