"""A Canvas and a Moodle download, each with its roster, through one `grade` command each, and out as
the files each LMS imports, read back the way the LMS reads them."""
import csv
import io
import zipfile

import pytest

from autograder.__main__ import main
from autograder.course import synthetic_submissions
from tests import lms_fixtures as fx
from tests.test_lms import canvas_import

pytestmark = pytest.mark.kernel  # starts Jupyter kernels: make test, not make test-fast


@pytest.fixture(scope="module")
def notebooks(mnist_available):
    answers = synthetic_submissions.reference_answers()
    mistaken = synthetic_submissions.mutate(answers, "sgd", "layer.b -= self.lr * layer.db", "pass")
    return fx.notebook_bytes(answers), fx.notebook_bytes(mistaken)


def course_folder(out, policy):
    """The instructor's own course config in --out (kept by grade): the repository's, plus the due date."""
    from autograder.course import layout

    out.mkdir()
    (out / "nbgrader_config.py").write_text(f"c = get_config()\nload_subconfig({str(layout.CONFIG_FILE)!r})\n"
                                            f"{policy}\n")
    return out


def grade(capsys, *args):
    code = main(["grade", "task4_1", *map(str, args), "--workers", "2"])
    out, err = capsys.readouterr()
    assert code == 0, f"{out}\n{err}"
    return out


def rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_a_canvas_download_round_trip(tmp_path, capsys, notebooks):
    students = fx.canvas_class(*notebooks)
    download = fx.canvas_zip(tmp_path / "submissions.zip", students)
    roster = fx.canvas_gradebook(tmp_path / "gradebook.csv", students)
    out = course_folder(tmp_path / "out",
                        'c.LatePolicy.due_dates = {"task4_1": "2024-03-05 12:00 UTC"}\n'
                        'c.LatePolicy.extensions = {"task4_1": {"canvas-1004": "2024-03-09 12:00 UTC"}}')
    printed = grade(capsys, download, "--out", out, "--roster", roster, "--lms-assignment", "7001")
    assert "submissions: a Canvas download (7 of 7 names are" in printed

    table = rows(out / "grades.csv")
    assert {s: r["status"] for s, r in table.items()} == {
        "canvas-1001": "graded", "canvas-1002": "graded", "canvas-1003": "missing", "canvas-1004": "graded",
        "canvas-1005": "graded", "canvas-1999": "not-on-roster"}
    assert table["canvas-1001"]["total"] == "23", "the newer, correct file of a resubmission is graded"
    assert (table["canvas-1002"]["penalty_percent"], table["canvas-1004"]["penalty_percent"]) == ("10", "0")

    assignments, points, students_read = canvas_import((out / "lms" / "canvas-grades-import.csv").read_text())
    assert list(assignments) == ["7001"] and points[assignments["7001"]] == "10.00"
    expected = {row["student_id"].split("-")[1]: round(float(row["final_score"]) / 25 * 10, 2)
                for row in table.values() if row["status"] == "graded"}
    assert {sid: scores["7001"] for sid, scores in students_read.items()} == expected

    reupload = zipfile.ZipFile(out / "lms" / "canvas-feedback-reupload.zip")
    ids = {tuple(t for t in name.split("_") if t != "LATE" and t.isdigit())[:2] for name in reupload.namelist()}
    assert ids == {("1001", "5007"), ("1002", "5002"), ("1004", "5004"), ("1005", "5005")}
    assert "did not change" in reupload.read(next(n for n in reupload.namelist() if "_1002_" in n)).decode()

    with gradebook_of(out) as book:
        assert (book.find_student("canvas-1002").first_name, book.find_student("canvas-1002").last_name) == \
            ("Hans", "Müller-Lüdenscheidt")


def test_a_moodle_download_round_trip(tmp_path, capsys, notebooks):
    students = fx.moodle_class(*notebooks)
    download = fx.moodle_zip(tmp_path / "download.zip", students)
    worksheet = fx.moodle_worksheet(tmp_path / "worksheet.csv", students)
    before = worksheet.read_bytes(), download.read_bytes()
    out = course_folder(tmp_path / "out", 'c.LatePolicy.due_dates = {"task4_1": "2024-03-05 00:00"}\n'
                                          'c.LatePolicy.timezone = "Europe/London"\n'
                                          'c.LatePolicy.extensions = {"task4_1": {"moodle-304": "2024-03-08 00:00"}}')
    printed = grade(capsys, download, "--out", out, "--roster", worksheet)
    assert "submissions: a Moodle download" in printed

    table = rows(out / "grades.csv")
    assert {s: r["status"] for s, r in table.items()} == {
        "moodle-301": "graded", "moodle-302": "graded", "moodle-303": "missing", "moodle-304": "graded",
        "moodle-305": "graded", "moodle-399": "not-on-roster"}
    # Tuesday 9:15 AM London is 9 h 15 min after the due date: one started day
    assert {s: table[s]["penalty_percent"] for s in ("moodle-301", "moodle-302", "moodle-304")} == \
        {"moodle-301": "0", "moodle-302": "10", "moodle-304": "0"}

    sheet = list(csv.reader(io.StringIO((out / "lms" / "moodle-grading-worksheet.csv").read_text(encoding="utf-8"))))
    original = list(csv.reader(io.StringIO(worksheet.read_text(encoding="utf-8"))))
    assert sheet[0] == original[0] and len(sheet) == len(original)
    assert all(len(row) == len(sheet[0]) for row in sheet)
    graded = {row[0]: dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]}
    for participant in ("301", "302", "304", "305"):
        final = float(table[f"moodle-{participant}"]["final_score"])
        assert float(graded[f"Participant {participant}"]["Grade"]) == round(final / 25 * 100, 2)
        assert graded[f"Participant {participant}"]["Feedback comments"].startswith("Autograded:")
    assert graded["Participant 303"]["Grade"] == ""

    feedback = zipfile.ZipFile(out / "lms" / "moodle-feedback-files.zip")
    participants = {name.split("/")[0].split("_", 4)[1] for name in feedback.namelist()}
    assert participants == {"301", "302", "304", "305"}
    assert (worksheet.read_bytes(), download.read_bytes()) == before, "an original was changed"


def gradebook_of(out):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{out / 'gradebook.db'}")

