"""A grading machine kept busy by other work never costs a correct student a point.

While more processes than cores compute training-sized matrix products with the BLAS library's
default threads (as other students' kernels on a course server do), the reference and every correct
style of tests/corpus/ are graded through the grade command and through plain `nbgrader autograde`
(what Formgrader's buttons run): every one keeps all 23 automatic points. Budgets count the kernel's
CPU time and every kernel gets one BLAS thread, so the load only makes grading slower.
"""
import contextlib
import os
import subprocess
import sys

import pytest

from autograder.__main__ import main
from autograder.course import layout, synthetic_submissions
from autograder.course.scratch_course import Course
from tests.corpus import SLOW_STYLE, STYLES, style_answers

pytestmark = [pytest.mark.kernel, pytest.mark.slow]  # its own tier: make test-slow (CI runs it)

# A training-sized product, again and again, with the library's default BLAS threads (one per core).
HOG = "import numpy as np\na, b = np.random.rand(512, 784), np.random.rand(784, 512)\nwhile True:\n    a @ b\n"
FULL_MARKS = 23


@contextlib.contextmanager
def saturated(processes=None):
    processes = processes or 2 * (os.cpu_count() or 2)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    hogs = [subprocess.Popen([sys.executable, "-c", HOG], env=env) for _ in range(processes)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def correct_submissions():
    styles = STYLES + [SLOW_STYLE]  # styles_similarity/ is the copy detector's corpus, not graded for points
    return {"reference": synthetic_submissions.reference_answers(),
            **{f"style-{path.stem.replace('_', '-')}": style_answers(path, partial=True) for path in styles}}


def write_submitted(root, release_notebook=layout.RELEASE_NOTEBOOK):
    for student, answers in correct_submissions().items():
        synthetic_submissions.write(synthetic_submissions.build(answers, release_notebook),
                                    layout.student_notebook(root, "submitted", student))


def test_every_correct_submission_keeps_every_point_through_the_grade_command_on_a_busy_machine(tmp_path, capsys,
                                                                                                 mnist_available):
    import csv

    write_submitted(tmp_path / "class")
    with saturated():
        assert main(["grade", layout.ASSIGNMENT, str(tmp_path / "class" / "submitted"), "--out",
                     str(tmp_path / "out"), "--workers", "2"]) == 0
    with open(tmp_path / "out" / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    lost = {s: (r["status"], r["total"], r["detail"][:200]) for s, r in rows.items()
            if (r["status"], r["total"]) != ("graded", str(FULL_MARKS))}
    assert set(rows) == set(correct_submissions()) and not lost, f"points lost on a busy machine: {lost}"


def test_every_correct_submission_keeps_every_point_through_plain_nbgrader_on_a_busy_machine(tmp_path,
                                                                                             mnist_available):
    course = Course.create(tmp_path / "course")
    release = course.generate_assignment() / f"{layout.NOTEBOOK}.ipynb"
    write_submitted(course.root, release)
    with saturated():
        course.autograde()
    grades = course.grades()
    lost = {s: g["score"] for s, g in grades.items() if g["score"] != FULL_MARKS}
    assert set(grades) == set(correct_submissions()) and not lost, f"points lost on a busy machine: {lost}"


@pytest.mark.skipif(os.geteuid() != 0, reason="the kernels run as sandbox users only as root")
def test_a_starved_kernel_is_a_grader_error_graded_again_by_the_next_run(tmp_path, mnist_available):
    """The kernel is stopped (SIGSTOP: no CPU at all) for longer than four times any cell's limit (the most
    wall-clock time the machine may take from a cell), then resumed: the cell ran out of time because of the
    machine, so the row is grader-error, not a score. (Stopped for less, the cell runs on and the submission
    keeps every point: tests/test_cell_limits.py.) Stopped before it answered its first request, the kernel had run
    no code, so that too is grader-error."""
    import csv
    import signal
    import threading
    import time

    from autograder.sandbox.users import live_processes, sandbox_user

    reference = synthetic_submissions.build(synthetic_submissions.reference_answers())
    synthetic_submissions.write(reference, layout.student_notebook(tmp_path / "class", "submitted", "starved"))
    uid = sandbox_user(0).pw_uid
    stopped = []

    def kernels():
        """The sandbox user's kernel processes (forked from the zygote, or ipykernel itself), not the probe."""
        found = []
        for pid in live_processes(uid=uid):
            try:
                command = open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                continue
            if b"zygote" in command or b"ipykernel" in command:
                found.append(pid)
        return found

    def starve():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not stopped:
            if kernels():
                time.sleep(1.0)  # the kernel is running the notebook's first cells
                for pid in kernels():
                    os.kill(pid, signal.SIGSTOP)
                    stopped.append(pid)
            time.sleep(0.05)
        time.sleep(90)  # longer than 4 x (a quick cell's 15 s, the --cell-timeout of 20 s below)
        for pid in stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    starver = threading.Thread(target=starve)
    starver.start()
    args = ["grade", layout.ASSIGNMENT, str(tmp_path / "class" / "submitted"), "--out", str(tmp_path / "out"),
            "--workers", "1", "--cell-timeout", "20"]
    code = main(args)
    starver.join()
    with open(tmp_path / "out" / "grades.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert stopped, "the kernel was never found to stop"
    assert (code, row["status"]) == (3, "grader-error"), (code, row["status"], row["detail"])
    detail = row["detail"]
    # Where the stop lands depends on the machine's speed: in a cell (the probe measured the time the machine
    # took), or before the first cell (the kernel never answered; no code had run). Either is the machine's fault;
    # tests/test_cell_limits.py stops the kernel at each of these points on purpose.
    assert ("kept the kernel from running" in detail or "did not answer before the notebook's first cell" in detail) \
        and "The next run of grade grades it again" in detail, detail

    assert main(args) == 0  # the next run grades it again, on a machine that now runs it
    with open(tmp_path / "out" / "grades.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert (row["status"], row["total"]) == ("graded", str(FULL_MARKS)), row
