"""The hub's grading service with the real grader (grading.session: the sandboxed kernels, the zygote, the
template): a submission with a mistake gets the preliminary page where fetch_feedback looks, naming the
mistake without a line of hidden test code, in each of the instructor's three choices; the service writes
no gradebook (the official grade stays the instructor's collect and grade)."""
import datetime
import html
import pathlib
import re
import time

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
        secrets_ = {}
        for student, notebook in notebooks.items():
            import nbformat

            secrets_[student] = submit(exchange, student, nbformat.writes(notebook))
        started = time.monotonic()
        run.step()
        while not run.idle() and time.monotonic() - started < 300:
            time.sleep(0.5)
            run.step()
        results = {row.student: run._result(row.folder) for row in run.ledger.all()}
        yield exchange, secrets_, results, run, root
    finally:
        session.close()


def test_the_mistake_is_named_and_no_hidden_test_code_is_shown(graded):
    exchange, secrets_, results, run, _ = graded
    said = page(exchange, secrets_["ann"])
    assert "Preliminary result" in said and "Graded submissions left: 2 of 3" in said
    titles = [TASK.catalogue()[identifier] for identifier in MUTANT["diagnosed"].values()]
    assert all(title in said for title in titles), said[:2000]
    assert not [code for code in HIDDEN_CODE if code in said]
    assert results["ann"].score < results["ann"].max_score and results["bob"].score == results["bob"].max_score - 2, \
        "the written answer (2 points) awaits a person"


def test_each_choice_of_the_instructor_shows_no_hidden_test_code(graded):
    _, _, results, run, _ = graded
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
    *_, root = graded
    assert not list(root.rglob("gradebook.db")) or all("work" in p.parts for p in root.rglob("gradebook.db"))
