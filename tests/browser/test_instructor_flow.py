"""Instructors in a real browser: the written answer is scored in nbgrader's Formgrader on a class
graded by `python -m autograder grade`, and the score and comment reach every output."""
import csv
import os
import pathlib
import subprocess
import sys

import pytest
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


GRADER = "t41-formgrader"  # an instructor's own account on the grading machine


@pytest.fixture
def instructor_account():
    import pwd
    import subprocess as run

    try:
        pwd.getpwnam(GRADER)
    except KeyError:
        run.run(["useradd", "--create-home", "--shell", "/bin/bash", GRADER], check=True, capture_output=True)
    entry = pwd.getpwnam(GRADER)
    os.chmod(entry.pw_dir, 0o700)
    yield entry
    run.run(["pkill", "-u", GRADER], capture_output=True)
    run.run(["userdel", "--remove", GRADER], capture_output=True)


def test_formgrader_as_the_guide_says_after_grading_with_sudo(instructor_account, jupyter_lab, page, shots):
    """`sudo .venv/bin/python -m autograder grade ... --out grading` in the instructor's checkout, then
    `jupyter lab` there as the instructor: it starts without --allow-root and stores a score."""
    from tests.browser.conftest import write_class

    checkout = pathlib.Path(instructor_account.pw_dir) / "course"
    checkout.mkdir(exist_ok=True)
    write_class(checkout / "submitted")
    for path in (checkout, *checkout.rglob("*")):
        os.chown(path, instructor_account.pw_uid, instructor_account.pw_gid)
    sudo = {**os.environ, "SUDO_UID": str(instructor_account.pw_uid), "SUDO_GID": str(instructor_account.pw_gid),
            "SUDO_USER": GRADER}
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", "task4_1", "submitted", "--out", "grading",
                             "--workers", "2"], cwd=checkout, env=sudo, capture_output=True, text=True, timeout=600)
    assert graded.returncode == 0, graded.stderr[-2000:]
    out = checkout / "grading"
    strangers = [p for p in (out, *out.rglob("*")) if p.lstat().st_uid != instructor_account.pw_uid]
    assert not strangers, f"left to root, so the instructor's Formgrader cannot write them: {strangers[:5]}"

    # an interpreter every account can run: the course hub's runtime (this machine's own interpreter sits in
    # root's home); the grader's stages come from this checkout, which every account can read
    from autograder.course import layout
    from autograder.hub import runtime

    venv = runtime.ensure(log=lambda line: None)
    server = jupyter_lab(out, user=GRADER, bin_dir=venv / "bin",
                         env={"PATH": f"{venv}/bin:/usr/bin:/bin", "PYTHONPATH": str(layout.REPO)})
    server.login(page)
    lab_ui.wait_for_lab(page)
    frame = lab_ui.open_formgrader(page)
    lab_ui.open_submission(frame, "task4_1", "numpy_neural_network", "alice")
    lab_ui.give_score(frame, "exercise_answer", "2", "Full marks, as yourself.")
    lab_ui.wait_for(lambda: manual_grade(out, "alice") == (2.0, "Full marks, as yourself."),
                    "Formgrader, run as the instructor, to store the score")
    shots(page, "instructor-4-formgrader-as-the-instructor")
    assert "Running as root" not in server.log_path.read_text()
