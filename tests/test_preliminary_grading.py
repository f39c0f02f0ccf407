"""The hub's grading service with the real grader (grading.session: the sandboxed kernels, the zygote, the
template): a submission with a mistake gets the preliminary page where fetch_feedback looks, naming the
mistake without a line of hidden test code, in each of the instructor's three choices; the service writes
no gradebook (the official grade stays the instructor's collect and grade)."""
import datetime
import html
import pathlib
import re
import time

import nbformat
import pytest

from autograder.course import layout, synthetic_submissions
from autograder.grading.session import GradingSession
from autograder.late_work import LatePolicy
from autograder.limits import Limits
from autograder.preliminary import pages, service
from autograder.preliminary.policy import PreliminaryFeedback
from tests.corpus import load_mutants, mutant_answers
from tests.test_preliminary_service import OWNERS, page, submit

pytestmark = pytest.mark.kernel
TASK = layout.TASK
MUTANT = next(m for m in load_mutants() if m["name"] == "softmax_no_shift")
HIDDEN_CODE = ("BEGIN HIDDEN TESTS", "importlib.reload", "autograder.kernel", "checks.check_")


def text(page_html):
    return html.unescape(re.sub(r"<[^>]+>", " ", page_html))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("preliminary")
    exchange = root / "exchange" / layout.COURSE_ID
    for sub in ("inbound", "feedback"):
        (exchange / sub).mkdir(parents=True)
    release = layout.RELEASE_NOTEBOOK
    notebooks = {"ann": synthetic_submissions.build(mutant_answers(MUTANT), release),
                 "bob": synthetic_submissions.build(synthetic_submissions.reference_answers(), release)}
    work = root / "work"
    work.mkdir(mode=0o711)
    session = GradingSession(TASK, work, 2, Limits(), hide=[exchange.parent, root / "state"])
    try:
        run = service.Service(TASK, exchange, root / "state", session, PreliminaryFeedback(), LatePolicy(), 2,
                              log=lambda line: None, owner_of=lambda folder: OWNERS[pathlib.Path(folder).name])
        secrets_, texts = {}, {student: nbformat.writes(notebook) for student, notebook in notebooks.items()}
        for student, text_ in texts.items():
            secrets_[student] = submit(exchange, student, raw=text_)
        started = time.monotonic()
        run.step()
        while not run.idle() and time.monotonic() - started < 300:
            time.sleep(0.5)
            run.step()
        results = {row.student: run._result(row.folder) for row in run.ledger.all()}
        yield exchange, secrets_, results, run, root, texts
    finally:
        session.close()


def test_the_mistake_is_named_and_no_hidden_test_code_is_shown(graded):
    exchange, secrets_, results, run, *_ = graded
    said = page(exchange, secrets_["ann"])
    assert "Preliminary result" in said and "Graded submissions left: 2 of 3" in said
    titles = [TASK.catalogue()[identifier] for identifier in MUTANT["diagnosed"].values()]
    assert all(title in said for title in titles), said[:2000]
    assert not [code for code in HIDDEN_CODE if code in said]
    assert results["ann"].score < results["ann"].max_score and results["bob"].score == results["bob"].max_score - 2, \
        "the written answer (2 points) awaits a person"


def test_each_choice_of_the_instructor_shows_no_hidden_test_code(graded):
    _, _, results, run, *_ = graded
    received = datetime.datetime.now(datetime.UTC)
    for shows in ("named", "points", "visible"):
        said = text(pages.graded(results["ann"], shows, received, "", TASK.catalogue(), run.visible_parts))
        assert not [code for code in HIDDEN_CODE if code in said], shows
    visible = text(pages.graded(results["ann"], "visible", received, "", TASK.catalogue(), run.visible_parts))
    outcomes = dict((gid, ok) for gid, ok, _ in pages.visible_outcomes(results["ann"].autograded_notebook,
                                                                      run.visible_parts))
    assert outcomes["test_softmax_visible"] is False and outcomes["test_linear_visible"] is True
    assert "test_softmax_stability" not in visible, "a hidden-only test is not reported in this view"
    assert all(pages.visible_outcomes(results["bob"].autograded_notebook, run.visible_parts)[i][1]
               for i in range(len(run.visible_parts)))


def test_the_service_writes_no_gradebook(graded):
    root = graded[4]
    assert not list(root.rglob("gradebook.db")) or all("work" in p.parts for p in root.rglob("gradebook.db"))


def test_the_grade_command_records_what_the_service_graded_from_the_same_bytes(graded, capsys):
    from autograder.__main__ import main

    _, _, results, run, root, texts = graded
    class_dir = root / "collected"
    for student, text_ in texts.items():
        path = TASK.student_notebook(class_dir, "submitted", student)
        path.parent.mkdir(parents=True)
        path.write_text(text_ if student == "ann" else text_.replace("Task 4.1", "Task 4.1 (changed)", 1))
    out = root / "official"
    code = main(["grade", TASK.name, str(class_dir / "submitted"), "--out", str(out), "--workers", "1",
                 "--preliminary", str(root / "state")])
    said = capsys.readouterr()
    assert code == 0, said
    assert "(1 of them before the deadline: the same notebook)" in said.out + said.err
    from autograder.result import Result

    official = {s: Result.from_json(__import__("json").loads((out / "results" / f"{s}.json").read_text()))
                for s in texts}
    assert official["ann"].seconds == results["ann"].seconds, "ann's result is the service's, not graded again"
    assert official["bob"].seconds != results["bob"].seconds, "bob's notebook changed: graded again"
    assert official["ann"].cells == results["ann"].cells and official["ann"].score == results["ann"].score
    from autograder.grading import gradebook

    stored = gradebook.scores(layout.sqlite_url(out), TASK)["ann"]
    expected = {gid: c["score"] for gid, c in results["ann"].cells.items() if not c.get("needs_manual")}
    assert expected and {gid: stored[gid] for gid in expected} == expected, "in the gradebook as if graded here"
