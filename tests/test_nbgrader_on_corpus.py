"""Real nbgrader runs: generate the assignment, autograde the solution, the blank release and
the whole corpus as student submissions, and check every score (the ``graded`` fixture: conftest.py)."""

import nbformat
import pytest

from autograder.course import layout
from tests.conftest import PLANTED_COPIES
from tests.corpus import STYLES, load_mutants

pytestmark = pytest.mark.kernel  # starts Jupyter kernels: make test, not make test-fast

MANUAL_CELLS = {"exercise_answer"}
MUTANTS = {f"mutant-{m['name']}": m for m in load_mutants()}


def failed_cells(grades, student):
    return sorted(gid for gid, (score, max_score, manual) in grades[student]["cells"].items()
                  if not manual and gid not in MANUAL_CELLS and (score or 0) < max_score)


def auto_points(grades, student):
    cells = grades[student]["cells"]
    return (sum(s or 0 for gid, (s, m, _) in cells.items() if gid not in MANUAL_CELLS),
            sum(m for gid, (s, m, _) in cells.items() if gid not in MANUAL_CELLS))


@pytest.mark.parametrize("student", ["reference-solution", "source-notebook"])
def test_solution_gets_every_automatic_point(graded, student):
    _, grades = graded
    score, max_score = auto_points(grades, student)
    assert failed_cells(grades, student) == []
    assert (score, max_score) == (23, 23)
    assert grades[student]["max_score"] == 25
    assert grades[student]["cells"]["exercise_answer"][2], "the written answer awaits manual grading"


def test_blank_release_gets_zero_and_every_cell_runs(graded):
    corpus, grades = graded
    assert grades["blank"]["score"] == 0
    notebook = nbformat.read(str(corpus.course("blank").autograded_notebook("blank")), as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"{cell.id} did not run"
            for output in cell.outputs:
                assert output.get("ename") != "CellTimeoutError", f"{cell.id} timed out"


def test_mnist_test_reports_accuracy_and_time(graded):
    corpus, _ = graded
    notebook = nbformat.read(str(corpus.course("reference-solution").autograded_notebook("reference-solution")),
                             as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_mnist_accuracy")
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert "MNIST: test accuracy" in text and "s of CPU time training" in text, text


@pytest.mark.parametrize("style", [*(f"style-{p.stem}" for p in STYLES), *PLANTED_COPIES])
def test_correct_styles_get_every_automatic_point(graded, style):
    _, grades = graded
    assert failed_cells(grades, style) == []


@pytest.mark.parametrize("student", sorted(MUTANTS))
def test_mutant_loses_exactly_its_expected_cells(graded, student):
    _, grades = graded
    assert failed_cells(grades, student) == sorted(MUTANTS[student]["must_fail"]), MUTANTS[student]["mistake"]


@pytest.mark.parametrize("student", sorted(MUTANTS))
def test_mutant_carries_its_expected_diagnoses_through_nbgrader(graded, student):
    # the identifiers travel as a note on the failure, through the kernel and the autograded notebook
    from autograder.grading.grade_one import add_diagnoses

    corpus, grades = graded
    cells = {gid: {"score": score or 0, "max_score": max_score, "needs_manual": manual}
             for gid, (score, max_score, manual) in grades[student]["cells"].items()}
    add_diagnoses(cells, nbformat.read(str(corpus.course(student).autograded_notebook(student)), as_version=4),
                  layout.TASK.catalogue())
    got = {gid: cell["diagnosis"] for gid, cell in cells.items() if "diagnosis" in cell}
    assert got == MUTANTS[student]["diagnosed"]


@pytest.fixture(scope="session")
def feedback(graded):
    corpus, _ = graded
    corpus.each_course(lambda course: course.nbgrader("generate_feedback", layout.ASSIGNMENT, "--force"))
    return {path.parts[-3]: path.read_text() for course in corpus.courses
            for path in (course.root / "feedback").glob(f"*/{layout.ASSIGNMENT}/*.html")}


def hidden_test_lines():
    import re
    notebook = nbformat.read(str(layout.SOURCE_NOTEBOOK), as_version=4)
    blocks = [b for c in notebook.cells for b in re.findall(r"BEGIN HIDDEN TESTS\n(.*?)### END", c.source, re.DOTALL)]
    return {line.strip() for block in blocks for line in block.splitlines() if line.strip()}


def test_feedback_never_contains_hidden_test_code(feedback):
    import html
    assert len(feedback) >= 20
    secret = {line for line in hidden_test_lines() if "check" in line or "loader" in line}
    assert secret
    for student, page in feedback.items():
        text = html.unescape(page)
        leaked = [line for line in secret if line in text]
        assert not leaked, f"{student}: hidden test code in feedback: {leaked}"
        assert "autograder/kernel/task4_1/checks.py" not in text, f"{student}: traceback into the grader's checks"
        assert "diagnosis: " not in text, f"{student}: the report's identifier reached the feedback"


def test_feedback_shows_points_and_diagnosis(feedback):
    import html
    text = html.unescape(feedback["mutant-dw_summed"])
    assert "as if summed over the batch instead of averaged" in text
    assert "test_linear_gradients" in text and "Score: 0.0 / 3.0" in text.replace("(", "").replace(")", "")


def test_regrading_gives_identical_scores(graded):
    corpus, grades = graded
    again = ["reference-solution", "style-float32_throughout", "mutant-dw_summed"]

    def regrade(course):
        for student in (s for s in again if corpus.course(s) is course):
            course.autograde(student)

    corpus.each_course(regrade)
    regraded = corpus.grades()
    for student in again:
        assert regraded[student] == grades[student], student


def test_class_report_names_the_corpus_mistakes_and_flags_only_the_planted_copies(graded, tmp_path):
    """The class report over the graded corpus: the misconception table is what mutants.toml expects, and
    the similarity section flags the two disguised copies and no pair of independent styles (the mutants
    all share the reference's code, so it is common code here, as a widely shared solution would be)."""
    import csv
    import shutil

    from autograder.grading.grade_one import add_diagnoses
    from autograder.report import class_report, copied_work, misconceptions
    from autograder.result import Result, Status
    corpus, grades = graded
    class_ids = [s for s in grades if s != "blank"]  # the blank notebook's failures are not the corpus's
    results = []
    for student in class_ids:
        cells = {gid: {"score": score or 0, "max_score": max_score, "needs_manual": manual}
                 for gid, (score, max_score, manual) in grades[student]["cells"].items()}
        autograded = corpus.course(student).autograded_notebook(student)
        add_diagnoses(cells, nbformat.read(str(autograded), as_version=4), layout.TASK.catalogue())
        target = layout.student_notebook(tmp_path, "autograded", student)
        target.parent.mkdir(parents=True)
        shutil.copy(autograded, target)
        results.append(Result(student, Status.GRADED, max_score=25.0, cells=cells))
    cells_order = [(gid, points) for gid, (_, points, _) in grades["reference-solution"]["cells"].items()]
    class_report.write_class_report(results, cells_order, tmp_path, layout.TASK)

    expected = misconceptions.class_misconceptions([
        Result(student, Status.GRADED, max_score=25.0,
               cells={gid: {"score": 0.0, "max_score": 1.0, "needs_manual": False,
                            **({"diagnosis": MUTANTS[student]["diagnosed"][gid]}
                               if gid in MUTANTS[student]["diagnosed"] else {})}
                      for gid in MUTANTS[student]["must_fail"]})
        for student in MUTANTS],
        misconceptions.classes_exercised(layout.SOURCE_NOTEBOOK, tuple(layout.TASK.classes.items())),
        layout.TASK.catalogue())
    with open(tmp_path / misconceptions.CSV_NAME, newline="") as handle:
        table = {row["misconception"]: (row["student_ids"].split(), row["tests"]) for row in csv.DictReader(handle)}
    assert table == {row.key: (row.students, " ".join(f"{gid}:{n}" for gid, n in sorted(row.tests.items())))
                     for row in expected}

    with open(tmp_path / copied_work.CSV_NAME, newline="") as handle:
        flagged = {frozenset((row["a"], row["b"])) for row in csv.DictReader(handle)}
    assert flagged == {frozenset((copy, original)) for copy, (original, _) in PLANTED_COPIES.items()}
    page = (tmp_path / "report.html").read_text()
    assert "What the class got wrong" in page and "Work that looks copied (2 pairs)" in page
    assert len(list((tmp_path / copied_work.PAGES).glob("*.html"))) == 2
