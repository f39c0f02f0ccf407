"""grades.csv and the class report, on synthetic results (no grading, no notebooks)."""
import csv
import random
import re

import pytest

from autograder.course import layout
from autograder.report import class_report
from autograder.result import Result, Status

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CELLS = [("test_linear_visible", 1.0), ("test_linear_gradients", 3.0), ("test_relu_visible", 1.0),
         ("test_mnist_accuracy", 4.0), ("exercise_answer", 2.0), ("test_momentum_exact", 1.0)]
MAX = sum(points for _, points in CELLS)


def graded(student_id, fraction=1.0, seconds=10.0, rng=None, manual=True):
    """A graded result; each auto cell gets full points with probability ``fraction``."""
    rng = rng or random.Random(0)
    cells = {}
    for grade_id, points in CELLS:
        if grade_id == "exercise_answer":
            cells[grade_id] = {"score": 0.0 if manual else points, "max_score": points, "needs_manual": manual}
        else:
            score = points if rng.random() < fraction else rng.choice([0.0, points / 2])
            cells[grade_id] = {"score": score, "max_score": points, "needs_manual": False}
    return Result(student_id, Status.GRADED, score=sum(c["score"] for c in cells.values() if not c["needs_manual"]),
                  max_score=MAX, cells=cells, seconds=seconds)


def problem(student_id, status, detail):
    return Result(student_id, status, detail, max_score=MAX, seconds=300.0 if status == "timeout" else 0.0)


@pytest.fixture(scope="module")
def results():
    rng = random.Random(41)
    rows = [graded(f"s{n:03d}", fraction=rng.random(), seconds=rng.uniform(8, 30), rng=rng)
            for n in rng.sample(range(100), 30)]
    rows += [problem("z_corrupt", "corrupt-notebook", 'not JSON, says "line 3", col 7'),
             problem("a_timeout", "timeout", "stopped after 300 s,\nkernel killed"),
             problem("<script>alert(1)</script>", "bad-filename", "<b>nasty</b> & co")]
    rng.shuffle(rows)
    return rows


@pytest.fixture(scope="module")
def report_dir(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    class_report.write_class_report(results, CELLS, out, layout.TASK)
    return out


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5000  # a real plot, not an empty canvas


# ---------------------------------------------------------------- grades.csv

def test_csv_header_and_sorting(results, tmp_path):
    path = class_report.write_grades_csv(results, CELLS, tmp_path / "grades.csv")
    rows = read_csv(path)
    assert rows[0] == ["student_id", "total", "max", "status", "detail", *(g for g, _ in CELLS), "seconds",
                       "submitted_at", "late_by", "penalty_percent", "final_score"]
    ids = [row[0] for row in rows[1:]]
    assert ids == sorted(r.student_id for r in results)
    assert all(len(row) == len(rows[0]) for row in rows)


def test_csv_holds_each_cells_points_and_blanks_for_manual_cells(results, tmp_path):
    rows = read_csv(class_report.write_grades_csv(results, CELLS, tmp_path / "grades.csv"))
    header, by_id = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    for result in results:
        row = by_id[result.student_id]
        assert float(row["total"]) == pytest.approx(result.score)
        assert row["max"] == "12"  # no "12.0" noise
        assert row["status"] == result.status
        for grade_id, _ in CELLS:
            cell = result.cells.get(grade_id)
            if cell and cell["needs_manual"]:
                assert row[grade_id] == ""
            else:
                assert float(row[grade_id]) == (cell["score"] if cell else 0)
        assert float(row["seconds"]) == pytest.approx(result.seconds, abs=0.05)
    assert header[-5] == "seconds"


def test_csv_numbers_have_no_trailing_zeros(tmp_path):
    result = graded("s1", manual=False, seconds=14.25)
    result.cells["test_linear_gradients"]["score"] = 1.5
    result.score = 8.5
    row = read_csv(class_report.write_grades_csv([result], CELLS, tmp_path / "g.csv"))[1]
    assert row[1:3] == ["8.5", "12"]
    assert row[5:7] == ["1", "1.5"]
    assert row[-5] in ("14.2", "14.3")
    assert class_report._num(23.0) == "23" and class_report._num(0.5) == "0.5" and class_report._num(1 / 3) == "0.333"
    assert class_report._num(-0.0001) == "0" and class_report._num(None) == ""


def test_csv_details_round_trip(results, tmp_path):
    rows = read_csv(class_report.write_grades_csv(results, CELLS, tmp_path / "grades.csv"))
    details = {row[0]: row[4] for row in rows[1:]}
    assert details["z_corrupt"] == 'not JSON, says "line 3", col 7'
    assert details["a_timeout"] == "stopped after 300 s,\nkernel killed"


def test_csv_is_replaced_atomically(results, tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("old")
    class_report.write_grades_csv(results[:3], CELLS, path)
    assert read_csv(path)[0][0] == "student_id"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]  # no temp files left


# ---------------------------------------------------------------- report

def test_report_references_valid_pngs(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    for name in class_report.PLOTS:
        assert f'src="report/{name}"' in page
        assert_png(report_dir / "report" / name)
    assert not [p for p in report_dir.rglob("*.tmp")]


def test_report_escapes_student_text(report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>nasty</b>" not in page and "&lt;b&gt;nasty&lt;/b&gt; &amp; co" in page


def test_report_counts_students_and_statuses(results, report_dir):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page)
    assert "students 33" in " ".join(text.split())
    assert "graded 30" in " ".join(text.split())
    for status in ("corrupt-notebook", "timeout", "bad-filename"):
        assert status in page
    summary = class_report.score_summary(results)
    assert f"{class_report._num(summary['mean'], 2)} / 12" in page
    for grade_id, _ in CELLS:
        assert grade_id in page
    assert "manual grading, 30 pending" in page


def test_pass_rate_counts_full_points_among_graded(results):
    rates = {row[0]: row for row in class_report.cell_pass_rates(results, CELLS)}
    graded_rows = [r for r in results if r.status == "graded"]
    expected = sum(r.cells["test_linear_gradients"]["score"] == 3 for r in graded_rows)
    assert rates["test_linear_gradients"][2:4] == (expected, 30)
    assert rates["exercise_answer"][5] is True and rates["test_linear_visible"][5] is False


@pytest.mark.parametrize("case", ["zero-graded", "single", "same-score", "empty"])
def test_edge_cases_do_not_crash(case, tmp_path):
    rows = {"zero-graded": [problem("a", "no-notebook", ""), problem("b", "timeout", "slow")],
            "single": [graded("only", seconds=3)],
            "same-score": [graded(f"s{i}", fraction=1.0, seconds=5.0) for i in range(5)],
            "empty": []}[case]
    page = class_report.write_class_report(rows, CELLS, tmp_path, layout.TASK).read_text(encoding="utf-8")
    class_report.write_grades_csv(rows, CELLS, tmp_path / "grades.csv")
    for name in class_report.PLOTS:
        assert (tmp_path / "report" / name).read_bytes()[:8] == PNG_SIGNATURE
    if case in ("zero-graded", "empty"):
        assert class_report.NO_DATA in page
