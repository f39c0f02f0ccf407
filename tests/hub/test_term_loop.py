"""A term's loop on the course hub, in a real Chromium, as the people do it: from the hub's login page,
through JupyterLab's menus and nbgrader's buttons, never by typing an inner address.

The instructor generates and releases in Formgrader; two students fetch in the Assignments tab, work
(alice correct, bob with the SGD bias forgotten), Validate and Submit (alice twice, bob after the due
date); the instructor collects in Formgrader, grades with `python -m autograder grade` (as root, on the
collected tree), scores the written answer in Formgrader, publishes, releases feedback; each student
fetches their own feedback and sees their score, their diagnosis and the late penalty where it applies.

What the test writes directly: the students' notebook files (the code they would type), the due date
into the course's nbgrader_config.py (the instructor's text editor), and the grade and publish
commands (the instructor's terminal, as root). Screenshots: build/screenshots/hub-*.png.
"""
import datetime
import pathlib
import pwd
import re
import shutil
import subprocess
import sys
import time

import nbformat
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from autograder.course import layout, synthetic_submissions
from tests.browser import lab_ui
from tests.hub.conftest import ALICE, BOB, ROOT, TEACHER, course_root, submissions_of

ANSWER = "The wider network learns faster per epoch but costs more; 0.1 is the best rate of the sweep."
SCORE = "1.5"
SHOTS = ROOT / "build" / "screenshots"
SLOW = 300_000  # ms: Validate runs the whole notebook on a busy 2-core machine


def notebook_for(student):
    """What the student typed: alice the reference, bob the same with SGD's bias update forgotten."""
    answers = {**synthetic_submissions.reference_answers(), "exercise_answer": ANSWER}
    for cell in ("exercise_architecture", "exercise_learning_rate"):  # their sweeps train 11 networks
        answers[cell] = f'print("{cell}: my sweep, left out of the browser test")'
    if student == BOB:
        answers = synthetic_submissions.mutate(answers, "sgd", "layer.b -= self.lr * layer.db", "pass")
    return synthetic_submissions.build(answers)


def write_as(student, notebook):
    path = pathlib.Path(pwd.getpwnam(student).pw_dir) / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb"
    nbformat.write(notebook, str(path))
    shutil.chown(path, student, student)


class Person:
    """One person's browser window on the hub."""

    def __init__(self, browser, hub, username):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.hub, self.username = hub, username

    def shot(self, name, page=None):
        SHOTS.mkdir(parents=True, exist_ok=True)
        (page or self.page).screenshot(path=str(SHOTS / f"hub-{name}.png"))

    def log_in(self):
        page = self.page
        page.goto(f"{self.hub.url}/hub/login")  # the hub's address is what a person is given
        page.fill("#username_input", self.username)
        page.fill("#password_input", self.hub.passwords[self.username])
        page.click("#login_submit")
        page.wait_for_url(re.compile(rf".*/user/{self.username}/lab.*"), timeout=180_000)
        lab_ui.wait_for_lab(page)

    # ---- students: the Assignments tab
    def assignments(self):
        lab_ui.menu(self.page, "Nbgrader", "Assignment List")
        tab = self.page.locator("#nbgrader-assignment-list")
        tab.wait_for()
        return tab

    @staticmethod
    def button_in_list(tab, section, button):
        """The first button labelled exactly ``button`` (nbgrader relabels it while it works) in ``section``."""
        return tab.locator(f"#{section}").get_by_role("button", name=button, exact=True).first

    def click_in_list(self, tab, section, button):
        self.button_in_list(tab, section, button).click()

    def feedback_of(self, timestamp):
        """Fetch Feedback, then (view feedback) of the submission made at ``timestamp``: its page's text.

        Each submission has its own page: the preliminary one the hub's grading service wrote, until the
        instructor releases the official feedback of the one collected."""
        deadline = time.monotonic() + 180
        while True:  # the page may not be in the exchange yet: Fetch Feedback again, as a person would
            tab = self.assignments()
            fetch = self.button_in_list(tab, "submitted_assignments_list", "Fetch Feedback")
            fetch.click()  # it reads "Fetching Feedback..." until nbgrader redraws the list
            expect(fetch).to_be_enabled(timeout=SLOW)
            link = tab.locator("#submitted_assignments_list .nested_list_item", has_text=timestamp) \
                .get_by_text("(view feedback)")
            try:
                link.click(timeout=10_000)  # nbgrader opens the feedback folder in the file browser
                break
            except PlaywrightTimeout:
                listed = tab.locator("#submitted_assignments_list").inner_text()
                assert time.monotonic() < deadline, f"no feedback for the submission of {timestamp}: {listed}"
        # every submission's page has the same file name: open it only once the browser shows its folder
        expect(self.page.locator(".jp-FileBrowser .jp-BreadCrumbs").first).to_contain_text(timestamp)
        lab_ui.open_path(self.page, f"{layout.NOTEBOOK}.html")
        body = self.page.frame_locator(".jp-HTMLViewer iframe, .jp-RenderedHTMLCommon iframe").last.locator("body")
        body.wait_for()
        return body.inner_text()

    def close_tab(self):
        lab_ui.menu(self.page, "File", "Close Tab")

    def close(self):
        self.context.close()


def nbgrader_menu(page):
    """The labels of JupyterLab's Nbgrader menu, as a person sees them when they open it."""
    page.locator(".lm-MenuBar-item", has=page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$"))
                 ).click()
    items = page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel")
    items.first.wait_for()
    labels = [label.strip() for label in items.all_inner_texts() if label.strip()]
    page.keyboard.press("Escape")
    return labels


def manual_score(student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_root() / 'gradebook.db'}") as book:
        return book.find_grade("exercise_answer", layout.NOTEBOOK, layout.ASSIGNMENT, student).manual_score


def set_due_date(due):
    """The instructor's edit of the course's nbgrader_config.py (the hub wrote an example there)."""
    config = course_root() / "nbgrader_config.py"
    text = config.read_text()
    config.write_text(text + f"\nc.LatePolicy.due_dates = {{'task4_1': {due!r}}}\n")


def test_a_term_on_the_hub(hub, browser):
    teacher, alice, bob = (Person(browser, hub, name) for name in (TEACHER, ALICE, BOB))

    # 1. the instructor generates and releases the assignment in Formgrader
    teacher.log_in()
    assert {"Assignment List", "Formgrader"} <= set(nbgrader_menu(teacher.page)), "the instructor has Formgrader"
    teacher.shot("1-instructor-lab")
    frame = lab_ui.open_formgrader(teacher.page)
    assert frame.locator("#warning-exchange").count() == 0, "Formgrader says the exchange is missing"
    dialog, _ = lab_ui.formgrader_action(frame, "assign", "generate the student version")
    dialog.get_by_role("button", name="OK").click()
    dialog, _ = lab_ui.formgrader_action(frame, "release", "release the assignment")
    teacher.shot("2-instructor-released")
    dialog.get_by_role("button", name="OK").click()

    # 2. students fetch, work, Validate, Submit; alice twice, bob after the due date
    for student, person in ((ALICE, alice), (BOB, bob)):
        person.log_in()
        assert nbgrader_menu(person.page) == ["Assignment List"], "students see only their Assignments"
        assert person.page.get_by_text("Create Assignment").count() == 0
        tab = person.assignments()
        person.click_in_list(tab, "released_assignments_list", "Fetch")
        tab.locator("#fetched_assignments_list").get_by_role("button", name="Submit").wait_for()
        person.shot(f"3-{student}-fetched")
    alice_tab = alice.assignments()
    alice.click_in_list(alice_tab, "fetched_assignments_list", "Submit")  # a first, unfinished submission
    lab_ui.wait_for(lambda: len(submissions_of(ALICE)) == 1, "alice's first submission")

    for student, person in ((ALICE, alice), (BOB, bob)):
        write_as(student, notebook_for(student))
        tab = person.assignments()
        tab.locator("#fetched_assignments_list .assignment-notebooks-link").first.click()
        tab.get_by_role("button", name="Validate").first.click()
        verdict = person.page.locator("#validation-message")  # nbgrader's Validate dialog
        verdict.wait_for(timeout=SLOW)
        expected = "Success! Your notebook passes all the tests." if student == ALICE else "The following cell failed:"
        assert expected in verdict.inner_text(), verdict.inner_text()
        person.shot(f"4-{student}-validate")
        person.page.locator(".jp-Dialog").get_by_role("button", name="Ok").click()
        if student == ALICE:
            alice.click_in_list(tab, "fetched_assignments_list", "Submit")
            lab_ui.wait_for(lambda: len(submissions_of(ALICE)) == 2, "alice's second submission")
            submitted = datetime.datetime.strptime(submissions_of(ALICE)[-1].split("+")[2], "%Y-%m-%d %H:%M:%S.%f %Z")
            set_due_date(f"{submitted + datetime.timedelta(seconds=2):%Y-%m-%d %H:%M:%S} UTC")  # alice: on time
            time.sleep(4)  # bob: late
        else:
            bob.click_in_list(tab, "fetched_assignments_list", "Submit")
            lab_ui.wait_for(lambda: len(submissions_of(BOB)) == 1, "bob's submission")
        person.shot(f"5-{student}-submitted")

    # 3. the instructor collects in Formgrader, grades on the machine, scores the written answer
    dialog, log = lab_ui.formgrader_action(frame, "collect", "collect the submissions")
    dialog.get_by_role("button", name="OK").click()
    graded = subprocess.run([sys.executable, "-m", "autograder", "grade", "task4_1",
                             str(course_root() / "submitted"), "--out", str(course_root()),
                             "--roster", str(hub.roster_path), "--workers", "2"],
                            capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert graded.returncode == 0, f"{graded.stdout}\n{graded.stderr}"
    assert course_root().stat().st_uid == (course_root() / "gradebook.db").stat().st_uid, "left owned by root"

    lab_ui.open_submission(frame, layout.ASSIGNMENT, layout.NOTEBOOK, "D'Arcy, Zoë")
    lab_ui.give_score(frame, "exercise_answer", SCORE)
    lab_ui.wait_for(lambda: manual_score(ALICE) == float(SCORE), "Formgrader to store the score")
    teacher.shot("6-instructor-written-answer-scored")
    published = subprocess.run([sys.executable, "-m", "autograder", "publish", "--out", str(course_root())],
                               capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert published.returncode == 0, published.stderr
    frame.get_by_role("link", name="Manual Grading").click()  # the breadcrumb, back to Formgrader's menu
    dialog, _ = lab_ui.formgrader_action(frame, "release-feedback", "release the feedback")
    teacher.shot("7-instructor-feedback-released")

    # 4. each student fetches their own feedback in the Assignments tab
    expectations = {ALICE: ["24.5", "on time"], BOB: ["did not change", "Late by", "penalty 10%"]}
    for student, person in ((ALICE, alice), (BOB, bob)):
        text = person.feedback_of(submissions_of(student)[-1].split("+")[2])  # the one collected
        assert "Preliminary result" not in text, "the official feedback replaces the preliminary page"
        for phrase in expectations[student]:
            assert phrase in text, f"{student}'s feedback lacks {phrase!r}"
        assert "def test_" not in text and "checks.check_" not in text, "hidden test code in the feedback"
        person.shot(f"8-{student}-feedback")
    for person in (teacher, alice, bob):
        person.close()


def test_feedback_files_are_their_students_alone(hub):
    for student, other in ((ALICE, BOB), (BOB, ALICE)):
        pages = list((pathlib.Path(pwd.getpwnam(student).pw_dir) / layout.ASSIGNMENT / "feedback").rglob("*.html"))
        assert pages, f"{student} has no feedback"
        for page in pages:
            denied = hub.run_as(other, f"cat '{page}'", check=False)
            assert denied.returncode != 0, f"{other} read {page}"

