"""A second assignment, graded by the same command with no change to the grader's code.

tests/assignments/dot_product/ is a small course assignment of its own: two graded functions, four
points, its own data (tests/assignments/vectors/, read through its loader and VECTORS_DIR) and no
kernel-side checks. `python -m autograder grade <its folder> SUBMISSIONS` grades a class of it exactly
as it grades Task 4.1: the data verified, copied and preloaded, kernels that read it through its own
variable; scores in grades.csv and the gradebook, a feedback page per student without the hidden
tests, the report under its own title, an output folder that `publish` reads back. Missing data
stops the run before anything is graded.
"""
import csv
import html
import pathlib
import re

import nbformat
import pytest

from autograder import assignment
from autograder.__main__ import main
from autograder.course import layout
from autograder.grading import gradebook

pytestmark = pytest.mark.kernel

FOLDER = pathlib.Path(__file__).parent / "assignments" / "dot_product"
VECTORS = pathlib.Path(__file__).parent / "assignments" / "vectors"
TASK = assignment.load(FOLDER)
WRONG_DOT = "    return sum(x * y for x, y in zip(a, b)) if a else None"  # forgets the empty vectors
SOLUTION_DOT = "    return sum(x * y for x, y in zip(a, b, strict=True))"


def submission(solved=True, dot=None):
    """The source notebook as a student would hand it in: solved, with another dot, or blank."""
    notebook = nbformat.read(str(TASK.source_notebook), as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            if not solved:
                head = cell.source.split("    ### BEGIN SOLUTION")[0]
                cell.source = head + "    # YOUR CODE HERE\n    raise NotImplementedError()"
            elif dot is not None:
                cell.source = cell.source.replace(SOLUTION_DOT, dot)
    return notebook


def write_class(root):
    """A class of three in nbgrader's submitted/ layout: correct, empty vectors forgotten, blank."""
    students = {"correct": submission(), "empty-case": submission(dot=WRONG_DOT), "blank": submission(solved=False)}
    for student, notebook in students.items():
        path = TASK.student_notebook(root / "class", "submitted", student)
        path.parent.mkdir(parents=True)
        nbformat.write(notebook, str(path))
    return root / "class" / "submitted"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("second-assignment")
    out = root / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VECTORS_DIR", str(VECTORS))
        code = main(["grade", str(FOLDER), str(write_class(root)), "--out", str(out), "--workers", "1"])
    with open(out / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    return code, out, rows


def test_the_grader_does_not_name_the_second_assignment_or_its_data():
    grader = pathlib.Path(layout.REPO / "autograder")
    for name in (TASK.name, TASK.data.env, TASK.data.loader.stem):
        assert not [path for path in grader.rglob("*.py") if name in path.read_text()], name


def test_every_student_gets_the_scores_their_functions_earn(graded):
    code, _, rows = graded
    assert code == 0
    got = {student: (row["status"], row["total"], row["max"], row["test_dot"], row["test_norm"], row["test_vectors"])
           for student, row in rows.items()}
    assert got == {"correct": ("graded", "4", "4", "2", "1", "1"),       # the vectors read in the sandbox
                   "empty-case": ("graded", "2", "4", "0", "1", "1"),
                   "blank": ("graded", "0", "4", "0", "0", "0")}


def test_the_gradebook_holds_the_same_scores(graded):
    _, out, rows = graded
    stored = gradebook.scores(layout.sqlite_url(out), TASK)
    assert {s: {g: f"{v:g}" for g, v in cells.items()} for s, cells in stored.items()} == {
        s: {g: row[g] for g in ("test_dot", "test_norm", "test_vectors")} for s, row in rows.items()}


def test_feedback_shows_the_visible_check_and_never_the_hidden_tests(graded):
    _, out, _ = graded
    page = TASK.student_notebook(out, "feedback", "empty-case", ".html").read_text()
    page = html.unescape(re.sub(r"<[^>]+>", "", page))  # the text, without the highlighting's tags
    assert "assert dot([1, 2, 3], [4, 5, 6]) == 32" in page
    assert "dot([-1.5, 2], [2, 0.25])" not in page and "HIDDEN TESTS" not in page


def test_the_report_and_the_output_course_are_the_second_assignments(graded):
    _, out, _ = graded
    assert f"{TASK.title} \u2014 class report" in html.unescape((out / "report.html").read_text())
    assert (out / "source" / TASK.name / TASK.notebook).is_file()
    assert main(["publish", "--out", str(out)]) == 0


def test_without_its_data_nothing_is_graded(tmp_path, monkeypatch, capsys):
    changed = tmp_path / "vectors"
    changed.mkdir()
    (changed / "pairs.txt").write_text("[[1], [1], 1]\n")
    monkeypatch.setenv("VECTORS_DIR", str(changed))
    out = tmp_path / "out"
    code = main(["grade", str(FOLDER), str(write_class(tmp_path)), "--out", str(out), "--workers", "1"])
    said = capsys.readouterr().err
    assert code == 2 and not out.exists(), said
    assert "nothing was graded" in said and "does not match its SHA-256" in said and "VECTORS_DIR" in said, said
