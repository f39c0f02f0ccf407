"""The class report's misconception table (autograder/report/misconceptions.py), on the corpus's
expectations and on synthetic results: no grading, no kernel."""
import csv

import pytest

from autograder.course import layout
from autograder.report import class_report, misconceptions
from autograder.result import Result, Status
from tests.corpus import load_mutants

MUTANTS = {m["name"]: m for m in load_mutants()}
EXERCISED = misconceptions.classes_exercised(layout.SOURCE_NOTEBOOK, tuple(layout.TASK.classes.items()))
CATALOGUE = layout.TASK.catalogue()


def expected_failures(mutant):
    """{failed test: its diagnosis or None}, as mutants.toml says grading gives them."""
    return {gid: mutant["diagnosed"].get(gid) for gid in mutant["must_fail"]}


def test_classes_each_test_exercises_are_read_from_the_notebook():
    assert EXERCISED["test_linear_visible"] == {"Linear"}
    assert EXERCISED["test_momentum_exact"] == {"SGDMomentum"}
    assert EXERCISED["test_cross_entropy_gradients"] == {"Softmax", "CrossEntropyLoss"}
    # MLP builds on Linear, ReLU and Softmax, found in its own cell
    assert {"MLP", "Linear", "ReLU", "Softmax"} <= EXERCISED["test_mlp_gradients"]
    assert {"MLP", "SGD", "CrossEntropyLoss"} <= EXERCISED["test_mnist_accuracy"]


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_no_failure_of_a_mutant_is_left_out_of_the_table(name):
    failed = expected_failures(MUTANTS[name])
    rows = misconceptions.student_mistakes(failed, EXERCISED)
    assert {gid for tests in rows.values() for gid in tests} == set(failed)
    # a named failure is counted under its own name, and only there
    for gid, found in failed.items():
        if found:
            assert [key for key, tests in rows.items() if gid in tests] == [found]


def test_a_failure_without_a_name_goes_to_the_mistake_it_builds_on():
    rows = misconceptions.student_mistakes(expected_failures(MUTANTS["relu_ignores_upstream"]), EXERCISED)
    # the MLP's tests run the student's ReLU, so the ReLU mistake cost them
    assert sorted(rows["relu.mask-only"]) == ["test_mlp_gradients", "test_mlp_visible", "test_relu_gradients",
                                              "test_relu_visible"]
    rows = misconceptions.student_mistakes(expected_failures(MUTANTS["mlp_skips_relu_backward"]), EXERCISED)
    assert rows == {"mlp.backward-order": ["test_mlp_visible", "test_mlp_gradients"],
                    "mnist.below-target": ["test_mnist_accuracy"]}


def test_a_mistake_is_not_blamed_for_a_test_that_does_not_run_its_class():
    # momentum's tests use layers of their own: a Linear mistake cannot explain them
    rows = misconceptions.student_mistakes({"test_linear_gradients": "summed-over-batch",
                                            "test_momentum_exact": None}, EXERCISED)
    assert rows == {"summed-over-batch": ["test_linear_gradients"],
                    "unnamed:test_momentum_exact": ["test_momentum_exact"]}


def result_of(student, mutant, status=Status.GRADED):
    cells = {gid: {"score": 0.0, "max_score": 1.0, "needs_manual": False} for gid in mutant["must_fail"]}
    for gid, found in mutant["diagnosed"].items():
        cells[gid]["diagnosis"] = found
    cells["test_sgd_visible"] = cells.get("test_sgd_visible", {"score": 1.0, "max_score": 1.0, "needs_manual": False})
    cells["exercise_answer"] = {"score": 0.0, "max_score": 2.0, "needs_manual": True}
    return Result(student, status, max_score=20.0, cells=cells)


def test_a_written_answer_a_person_scored_low_is_not_a_misconception():
    answer = {"exercise_answer": {"score": 0.5, "max_score": 2.0, "needs_manual": False, "manual": True},
              "test_sgd_exact": {"score": 0.0, "max_score": 1.0, "needs_manual": False, "diagnosis": "sgd.uphill"}}
    rows = misconceptions.class_misconceptions([Result("ann", Status.GRADED, max_score=3.0, cells=answer)], EXERCISED,
                                               CATALOGUE)
    assert [(row.key, dict(row.tests)) for row in rows] == [("sgd.uphill", {"test_sgd_exact": 1})]


@pytest.fixture
def class_results():
    return [result_of("ann", MUTANTS["dw_summed"]), result_of("ben", MUTANTS["db_summed"]),
            result_of("cat", MUTANTS["softmax_no_shift"]), result_of("dan", MUTANTS["sgd_forgets_bias"]),
            result_of("eve", MUTANTS["dw_summed"], Status.CRASHED)]


def test_rows_count_students_most_first_and_skip_rows_not_graded_in_full(class_results):
    rows = misconceptions.class_misconceptions(class_results, EXERCISED, CATALOGUE)
    first = rows[0]
    assert (first.key, first.students) == ("summed-over-batch", ["ann", "ben"])
    assert first.tests["test_linear_gradients"] == 2 and first.tests["test_mlp_visible"] == 2
    assert all("eve" not in row.students for row in rows), "a crashed run is not a misconception"
    assert [len(row.students) for row in rows] == sorted((len(row.students) for row in rows), reverse=True)
    assert {row.key for row in rows} >= {"softmax.overflow", "sgd.bias-not-updated", "mnist.not-learning"}


def test_report_shows_the_table_and_writes_its_csv(class_results, tmp_path):
    (tmp_path / "feedback" / "ann" / "task4_1").mkdir(parents=True)
    cells = [("test_linear_gradients", 3.0), ("exercise_answer", 2.0)]
    class_report.write_class_report(class_results, cells, tmp_path, layout.TASK)
    page = (tmp_path / "report.html").read_text()
    assert "What the class got wrong" in page and "summed-over-batch" in page
    with open(tmp_path / misconceptions.CSV_NAME, newline="") as handle:
        table = list(csv.DictReader(handle))
    assert table[0]["misconception"] == "summed-over-batch" and table[0]["student_ids"] == "ann ben"
    assert table[0]["title"] == "a gradient summed over the batch instead of averaged"


def test_no_section_when_nobody_lost_a_point(tmp_path):
    perfect = Result("ann", Status.GRADED, max_score=1.0,
                     cells={"test_sgd_visible": {"score": 1.0, "max_score": 1.0, "needs_manual": False}})
    class_report.write_class_report([perfect], [("test_sgd_visible", 1.0)], tmp_path, layout.TASK)
    assert "What the class got wrong" not in (tmp_path / "report.html").read_text()


def test_feedback_links_are_escaped_and_quoted():
    row = misconceptions.Misconception("wrong-sign", "t", ["a&b"], misconceptions.collections.Counter({"x": 1}))
    html = misconceptions.section_html([row], lambda student: f"feedback/{student}/p q.html")
    assert 'href="feedback/a%26b/p%20q.html"' in html and ">a&amp;b<" in html
