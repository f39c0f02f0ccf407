"""Instructors in a real browser: the written answer is scored in nbgrader's Formgrader on a class
graded by `python -m autograder grade`, and the score and comment reach every output."""
import csv
import subprocess
import sys

from nbgrader.api import Gradebook

from tests.browser import lab_ui

COMMENT = "Good use of your own numbers; say why the wide network costs more time."


def manual_grade(out, student):
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as book:
        grade = book.find_grade("exercise_answer", "numpy_neural_network", "task4_1", student)
        comment = book.find_comment("exercise_answer", "numpy_neural_network", "task4_1", student)
        return grade.manual_score, comment.manual_comment


def rows(path):
    with open(path, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_a_score_given_in_formgrader_reaches_export_grades_csv_and_feedback(graded_class, jupyter_lab, page, shots):
    out = graded_class
    before = rows(out / "grades.csv")["alice"]
    assert before["exercise_answer"] == "" and before["total"] == "23", "alice's written answer should await a person"

    server = jupyter_lab(out)  # the grade command left an nbgrader course in --out: Formgrader opens it as is
    server.login(page)
    lab_ui.wait_for_lab(page)
    frame = lab_ui.open_formgrader(page)
    frame.get_by_role("link", name="Manage Assignments").click()
    frame.locator("#main-table td.name", has_text="task4_1").wait_for()
    assert frame.locator("#warning-exchange, #warning-course-id").count() == 0, "a banner about the exchange"
    frame.get_by_role("link", name="Manage Students").click()
    frame.locator("#main-table", has_text="O'Brien, Bob").wait_for()  # the roster's names, not "None, None"
    shots(page, "instructor-0-formgrader-students")
    lab_ui.open_submission(frame, "task4_1", "numpy_neural_network", "Zoë-Müller, Alice")
    shots(page, "instructor-1-formgrader-submission")
    lab_ui.give_score(frame, "exercise_answer", "1.5", COMMENT)
    lab_ui.wait_for(lambda: manual_grade(out, "alice") == (1.5, COMMENT), "Formgrader to store the score and comment")
    frame.locator("input.score#exercise_answer").scroll_into_view_if_needed()
    shots(page, "instructor-2-formgrader-manual-score")
    log = server.log_path.read_text()
    assert "CRITICAL" not in log and "Unwritable directory" not in log, "the server warns about an exchange"

    subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=out, check=True, capture_output=True)
    exported = rows(out / "nbgrader-grades.csv")
    assert float(exported["alice"]["score"]) == 24.5, f"nbgrader export: {exported['alice']}"

    published = subprocess.run([sys.executable, "-m", "autograder", "publish", "--out", str(out)],
                               capture_output=True, text=True, timeout=300)
    assert published.returncode == 0, published.stderr
    after = rows(out / "grades.csv")
    assert (after["alice"]["exercise_answer"], after["alice"]["total"]) == ("1.5", "24.5"), after["alice"]
    assert after["bob"]["exercise_answer"] == "", "bob was not graded by a person: his answer still waits"

    page.goto((out / "feedback" / "alice" / "task4_1" / "numpy_neural_network.html").as_uri())
    feedback = page.get_by_text(COMMENT)
    feedback.scroll_into_view_if_needed()
    assert feedback.is_visible(), "the comment is not in alice's feedback page"
    shots(page, "instructor-3-feedback-with-comment")
