"""Preliminary feedback on the course hub (issue 34), in a real Chromium, as the people do it.

The instructor releases in Formgrader and sets a limit of two graded submissions a day (the course
folder's nbgrader_config.py, in their editor). Bob submits a notebook with a mistake in the
Assignments tab and, clicking Fetch Feedback there, reads first that it is queued, then the named
mistake, marked preliminary, without hidden test code. The same notebook again gets that result, not
counted; a changed one is graded; the next is kept for the deadline, and its page says from when the
next graded one is possible. The instructor reads the queue on the service's page (Nbgrader >
Preliminary Feedback Queue); a student has no such item. Alice can
neither list the pages nor spend Bob's allowance: a submission she makes in his name is refused.
Screenshots: build/screenshots/hub-preliminary-*.png.
"""
import datetime
import re
import sqlite3
import time

from autograder.course import layout, synthetic_submissions
from tests import inprocess
from tests.browser import lab_ui
from tests.hub.conftest import ALICE, BOB, STATE, TEACHER, course_root, submissions_of
from tests.hub.test_term_loop import Person, nbgrader_menu, notebook_for, write_as

HIDDEN_CODE = ("BEGIN HIDDEN TESTS", "importlib.reload", "autograder.kernel", "checks.check_")


def ledger(student):
    with sqlite3.connect(STATE / "preliminary" / "ledger.sqlite") as db:
        return db.execute("SELECT folder, state, note FROM submissions WHERE student = ? ORDER BY received",
                          (student,)).fetchall()


def bobs_mistakes():
    """The titles the hidden tests name for Bob's notebook, found in-process."""
    answers = {**synthetic_submissions.reference_answers()}
    answers = synthetic_submissions.mutate(answers, "sgd", "layer.b -= self.lr * layer.db", "pass")
    catalogue = layout.TASK.catalogue()
    return {catalogue[d] for d in inprocess.run_diagnosed(answers).values() if d in catalogue}


def edited(notebook, version):
    """The notebook with the written answer changed: another submission's content."""
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "exercise_answer":
            cell.source += f" ({version})"
    return notebook


def submit(person, student):
    before = len(submissions_of(student))
    person.click_in_list(person.assignments(), "fetched_assignments_list", "Submit")
    lab_ui.wait_for(lambda: len(submissions_of(student)) == before + 1, f"{student}'s submission")
    return submissions_of(student)[-1].split("+")[2]


def test_feedback_minutes_after_submitting_within_the_limits(hub, browser):
    teacher, alice, bob = (Person(browser, hub, name) for name in (TEACHER, ALICE, BOB))
    teacher.log_in()
    frame = lab_ui.open_formgrader(teacher.page)
    for column, what in (("assign", "generate the student version"), ("release", "release the assignment")):
        dialog, _ = lab_ui.formgrader_action(frame, column, what)
        dialog.get_by_role("button", name="OK").click()
    config = course_root() / "nbgrader_config.py"
    config.write_text(config.read_text() + "\nc.PreliminaryFeedback.max_graded = 2\n")  # the instructor's edit

    bob.log_in()
    tab = bob.assignments()
    bob.click_in_list(tab, "released_assignments_list", "Fetch")
    tab.locator("#fetched_assignments_list").get_by_role("button", name="Submit").wait_for()
    write_as(BOB, notebook_for(BOB))
    first = submit(bob, BOB)
    said = bob.feedback_of(first)
    assert "Preliminary result" in said and ("queued" in said or "graded before the due date" in said), said
    deadline = time.monotonic() + 300
    while "queued" in said:
        assert time.monotonic() < deadline, "no preliminary feedback within 5 minutes"
        bob.close_tab()
        time.sleep(5)
        said = bob.feedback_of(first)
    bob.shot("preliminary-2-named-mistake")
    titles = bobs_mistakes()
    assert titles and all(title in said for title in titles), (titles, said[:1500])
    assert "official grade is given after the due date" in said and "Graded submissions left: 1 of 2" in said
    assert not [code for code in HIDDEN_CODE if code in said]
    bob.close_tab()

    again = submit(bob, BOB)  # the same notebook: its result again, not counted
    said = bob.feedback_of(again)
    assert "not graded again and not counted" in said and all(title in said for title in titles), said
    bob.close_tab()
    write_as(BOB, edited(notebook_for(BOB), "v2"))
    third = submit(bob, BOB)
    write_as(BOB, edited(notebook_for(BOB), "v3"))
    fourth = submit(bob, BOB)
    lab_ui.wait_for(lambda: [state for _, state, _ in ledger(BOB)][-1] == "kept", "the fourth to be kept", 60)
    said = bob.feedback_of(fourth)
    bob.shot("preliminary-3-over-the-limit")
    graded_first = datetime.datetime.strptime(first, "%Y-%m-%d %H:%M:%S.%f %Z")
    assert "kept and graded after the due date" in said and "Graded submissions left: 0 of 2" in said, said
    assert re.search(r"the next one is possible from \d{4}-\d\d-\d\d \d\d:\d\d UTC", said), said
    assert f"{graded_first + datetime.timedelta(hours=24):%Y-%m-%d}" in said
    assert [state for _, state, _ in ledger(BOB)][:2] == ["graded", "reused"], third
    bob.close_tab()

    # Alice: the exchange's folders are not hers to list, and a submission in Bob's name is refused
    for folder in ("inbound", "feedback"):
        listed = hub.run_as(ALICE, f"ls {STATE / 'exchange' / 'dl-module4' / folder}", check=False)
        assert listed.returncode != 0, f"alice listed {folder}: {listed.stdout}"
    alice.log_in()
    tab = alice.assignments()
    alice.click_in_list(tab, "released_assignments_list", "Fetch")
    tab.locator("#fetched_assignments_list").get_by_role("button", name="Submit").wait_for()
    hub.run_as(ALICE, f"nbgrader submit {layout.ASSIGNMENT} --student {BOB}", check=False)
    lab_ui.wait_for(lambda: any(state == "refused" for _, state, _ in ledger(BOB)), "the forged one refused", 60)
    refused = [note for _, state, note in ledger(BOB) if state == "refused"]
    assert refused == [f"submitted in the name of {BOB} by the account {ALICE}"]
    assert [state for _, state, _ in ledger(BOB)].count("kept") == 1, "Bob's allowance is as it was"

    # the instructor's page: Nbgrader > Preliminary Feedback Queue, in a new tab; students have no such item
    assert "Preliminary Feedback Queue" in nbgrader_menu(teacher.page)
    with teacher.context.expect_page() as opened:
        lab_ui.menu(teacher.page, "Nbgrader", "Preliminary Feedback Queue",
                    before_click=lambda: teacher.shot("preliminary-5-nbgrader-menu"))
    queue = opened.value
    queue.get_by_text("Queue").first.wait_for()
    shown = queue.locator("body").inner_text()
    teacher.shot("preliminary-4-instructor-page", queue)
    assert f"Preliminary feedback: {layout.TASK.title}" in shown and BOB in shown and "Refused (1)" in shown
    assert "submission to feedback: median" in shown
    assert "Preliminary Feedback Queue" not in nbgrader_menu(bob.page)
    bob_home = open_hub_control_panel(bob)
    assert bob_home.get_by_text("Services", exact=True).count() == 0, "a student has no Services menu either"
    for person in (teacher, alice, bob):
        person.close()


def open_hub_control_panel(person):
    """File > Hub Control Panel: JupyterHub's home page, in a new browser tab."""
    with person.context.expect_page() as opened:
        lab_ui.menu(person.page, "File", "Hub Control Panel")
    page = opened.value
    page.wait_for_load_state()
    return page
