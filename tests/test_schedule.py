"""The order a class is graded in: expected-longest first (grading/schedule.py)."""
import pathlib

from autograder.course import layout, synthetic_submissions
from autograder.grading import schedule
from autograder.grading.intake import Submission
from autograder.result import Result, Status
from tests.corpus import load_mutants, mutant_answers

RELEASE = layout.RELEASE_NOTEBOOK


def staged(tmp_path, student_id, answers):
    path = tmp_path / f"{student_id}.ipynb"
    synthetic_submissions.write(synthetic_submissions.build(answers, layout.RELEASE_NOTEBOOK), path)
    return Submission(student_id, path, Status.OK, "", str(path), 0.0, "")


def test_complete_notebooks_go_before_half_done_and_blank_ones(tmp_path):
    reference = synthetic_submissions.reference_answers()
    half = {k: v for k, v in reference.items() if k in ("linear", "relu", "softmax")}
    subs = [staged(tmp_path, "blank", {}), staged(tmp_path, "half", half), staged(tmp_path, "done", reference)]
    order = [s.student_id for s in schedule.longest_first(subs, lambda _: None, RELEASE)]
    assert order == ["done", "half", "blank"]
    assert schedule.expected_seconds(subs[2], RELEASE) == schedule.TYPICAL_SECONDS
    assert schedule.expected_seconds(subs[0], RELEASE) == 0.0


def test_a_regrade_goes_by_the_time_the_last_run_measured(tmp_path):
    reference = synthetic_submissions.reference_answers()
    mutant = mutant_answers(load_mutants()[0])
    subs = [staged(tmp_path, "quick-last-time", reference), staged(tmp_path, "slow-last-time", mutant)]
    previous = {"quick-last-time": Result("quick-last-time", Status.GRADED, seconds=2.0),
                "slow-last-time": Result("slow-last-time", Status.GRADED, seconds=30.0)}
    order = [s.student_id for s in schedule.longest_first(subs, previous.get, RELEASE)]
    assert order == ["slow-last-time", "quick-last-time"]


def test_an_unreadable_notebook_is_expected_to_be_quick(tmp_path):
    gone = Submission("gone", pathlib.Path(tmp_path / "missing.ipynb"), Status.OK, "", "", 0.0, "")
    assert schedule.expected_seconds(gone, RELEASE) == 0.0
