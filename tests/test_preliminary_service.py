"""The hub's grading service (autograder/preliminary/service.py) on a real exchange layout with a stand-in
grader: what each submission becomes and the page its student fetches (where nbgrader's fetch_feedback
looks), the limits, one grading at a time per student, faults retried and never a score, nothing noticed
twice after a restart. The real grader's pages: tests/test_preliminary_grading.py."""
import concurrent.futures
import datetime
import html
import pathlib
import re
import secrets

import nbformat
import pytest

from autograder.course import layout
from autograder.late_work import LatePolicy
from autograder.preliminary import inbox, service
from autograder.preliminary.policy import PreliminaryFeedback
from autograder.result import Result, Status

TASK = layout.TASK


class StandInGrader:
    """Futures the test completes: ``finish(student, result)``; ``submitted``: (student, notebook) in order."""

    def __init__(self):
        self.submitted, self.futures = [], {}

    def submit(self, student, notebook):
        future = concurrent.futures.Future()
        cells = nbformat.read(str(notebook), as_version=4).cells
        self.submitted.append((student, cells[0].source if cells else ""))
        self.futures.setdefault(student, []).append(future)
        return future

    def finish(self, student, status=Status.GRADED, score=20.0):
        future = next(f for f in self.futures[student] if not f.done())
        cells = {"test_linear_visible": {"score": 1.0, "max_score": 1.0},
                 "test_linear_gradients": {"score": 0.0, "max_score": 3.0, "diagnosis": "transposed"}}
        page = f"<html><head></head><body><p>feedback of {student}</p></body></html>"
        result = Result(student, status, score=score if status != Status.GRADER_ERROR else None, max_score=25.0,
                        cells=cells, feedback_html=page)
        future.set_result(result)


@pytest.fixture
def exchange(tmp_path):
    course = tmp_path / "exchange" / "dl-module4"
    for sub in ("inbound", "feedback"):
        (course / sub).mkdir(parents=True)
    return course


def submit(exchange, student, text="my work", made_by=None, stamp=None, raw=None):
    """A submission folder as nbgrader's submit leaves it, its notebook holding ``text`` (or the bytes
    ``raw``); returns its secret."""
    stamp = stamp or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    folder = exchange / "inbound" / f"{student}+{TASK.name}+{stamp}+{secrets.token_hex(4)}"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text, id="answer")])
    (folder / TASK.notebook).write_text(raw if raw is not None else nbformat.writes(notebook))
    (folder / "timestamp.txt").write_text(stamp)
    secret = secrets.token_hex(32)
    (folder / inbox.SECRET).write_text(secret)
    OWNERS[folder.name] = made_by or student
    return secret


OWNERS = {}


def page(exchange, secret):
    path = inbox.feedback_file(exchange / "feedback", secret, TASK.notebook_stem)
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text())) if path.exists() else None


def make(exchange, tmp_path, grader, workers=2, **settings):
    return service.Service(TASK, exchange, tmp_path / "state", grader, PreliminaryFeedback(**settings),
                           LatePolicy(), workers, log=lambda line: None,
                           owner_of=lambda folder: OWNERS[pathlib.Path(folder).name])


def test_a_submission_is_queued_then_its_page_becomes_the_preliminary_feedback(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader)
    secret = submit(exchange, "ann", "ann's notebook")
    run.step()
    assert grader.submitted == [("ann", "ann's notebook")]
    assert "queued: 0 ahead" in page(exchange, secret)
    grader.finish("ann")
    run.step()
    said = page(exchange, secret)
    assert "Preliminary result" in said and "feedback of ann" in said and "official grade" in said
    assert "Graded submissions left: 2 of 3" in said
    assert "Mistakes the tests named: " + TASK.catalogue()["transposed"] in said


def test_the_fourth_in_a_day_is_kept_and_says_when_the_next_is_possible(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader, workers=4)
    secrets_ = [submit(exchange, "ann", f"try {n}") for n in range(4)]
    run.step()
    assert [text for _, text in grader.submitted] == ["try 0"], "one grading at a time per student"
    for _ in range(3):
        grader.finish("ann")
        run.step()
    assert [text for _, text in grader.submitted] == ["try 0", "try 1", "try 2"]
    first = run.ledger.of_student("ann", TASK.name)[0].received
    kept = page(exchange, secrets_[3])
    assert "kept and graded after the due date" in kept and "Nothing is lost" in kept
    assert f"the next one is possible from {(first + datetime.timedelta(hours=24)):%Y-%m-%d %H:%M} UTC" in kept
    third = page(exchange, secrets_[2])
    assert "feedback of ann" in third and "Graded submissions left: 0 of 3 in any 24 hours; the next one is " \
        f"possible from {(first + datetime.timedelta(hours=24)):%Y-%m-%d %H:%M} UTC" in third


def test_the_same_notebook_again_gets_its_result_again_without_counting(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader)
    submit(exchange, "ann", "same")
    run.step()
    grader.finish("ann")
    run.step()
    again = submit(exchange, "ann", "same")
    run.step()
    assert len(grader.submitted) == 1 and "not graded again and not counted" in page(exchange, again)
    assert [r.state for r in run.ledger.of_student("ann", TASK.name)] == ["graded", "reused"]


def test_a_submission_in_someone_elses_name_is_never_graded_nor_counted(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader)
    forged = submit(exchange, "bob", "mallory's", made_by="mallory")
    run.step()
    assert grader.submitted == [] and page(exchange, forged) is None
    row = run.ledger.all()[0]
    assert (row.state, row.note) == ("refused", "submitted in the name of bob by the account mallory")
    submit(exchange, "bob", "bob's own")
    run.step()
    assert grader.submitted == [("bob", "bob's own")]


def test_a_fault_of_the_machine_is_retried_and_never_a_score(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader)
    secret = submit(exchange, "ann")
    run.step()
    grader.finish("ann", Status.GRADER_ERROR)
    now = datetime.datetime.now(datetime.UTC)
    run.step(now)
    said = page(exchange, secret)
    assert "not graded yet" in said and "No action needed" in said and "feedback of ann" not in said
    run.step(now + datetime.timedelta(seconds=1))
    assert len(grader.submitted) == 1, "a retry waits"
    for attempt in range(1, service.MAX_ATTEMPTS):
        run.step(now + datetime.timedelta(hours=attempt))
        assert len(grader.submitted) == attempt + 1
        grader.finish("ann", Status.GRADER_ERROR)
        run.step(now + datetime.timedelta(hours=attempt, seconds=1))
    run.step(now + datetime.timedelta(hours=10))
    assert len(grader.submitted) == service.MAX_ATTEMPTS, "then it is left to the instructor"
    assert run.ledger.all()[0].state == "failed" and "not graded yet" in page(exchange, secret)
    assert run.ledger.all()[0].score is None


def test_the_queue_says_how_many_are_ahead_and_one_worker_takes_them_in_order(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader, workers=1)
    pages_ = {student: submit(exchange, student) for student in ("ann", "bob", "cid")}
    run.step()
    assert ["queued: 0 ahead" in page(exchange, pages_["ann"]), "queued: 1 ahead" in page(exchange, pages_["bob"]),
            "queued: 2 ahead" in page(exchange, pages_["cid"])] == [True, True, True]
    grader.finish("ann")
    run.step()
    assert "queued: 1 ahead" in page(exchange, pages_["cid"]) and grader.submitted[-1][0] == "bob"


def test_a_restarted_service_notices_nothing_twice_and_finishes_the_queue(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader, workers=1)
    submit(exchange, "ann")
    submit(exchange, "bob")
    run.step()
    run.ledger.close()
    again = StandInGrader()
    restarted = make(exchange, tmp_path, again, workers=2)
    restarted.step()
    assert sorted(s for s, _ in again.submitted) == ["ann", "bob"], "in flight when it stopped: graded again"
    assert len(restarted.ledger.all()) == 2


def test_points_only_shows_points_per_part_and_no_messages(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader, shows="points")
    secret = submit(exchange, "ann")
    run.step()
    grader.finish("ann")
    run.step()
    said = page(exchange, secret)
    assert "Preliminary result" in said and "feedback of ann" not in said and "Mistakes the tests named" not in said
    assert "test_linear_gradients 0 / 3" in " ".join(said.split()) and "Points for each part: 1 / 4" in said


def test_visible_parts_are_the_test_cells_lines_before_their_hidden_tests():
    parts = service.visible_parts(TASK)
    notebook = nbformat.read(str(TASK.source_notebook), as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells if "nbgrader" in c.metadata}
    assert parts and "test_linear_gradients" not in parts, "all hidden: no visible part"
    for grade_id, lines in parts.items():
        source = cells[grade_id].splitlines()
        assert "BEGIN HIDDEN TESTS" not in "\n".join(source[:lines]) and source[lines - 1].strip()
        assert lines == len(source) or "BEGIN HIDDEN TESTS" in source[lines]


def test_the_official_feedback_is_never_replaced_by_a_late_preliminary_page(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader)
    secret = submit(exchange, "ann")
    run.step()
    official = inbox.feedback_file(exchange / "feedback", secret, TASK.notebook_stem)
    released = official.with_name("released.tmp")  # as release_feedback does it: a copy, then a move
    released.write_text("<html><body>official feedback: 23 / 25</body></html>")
    released.replace(official)
    grader.finish("ann")
    run.step()
    assert page(exchange, secret).strip() == "official feedback: 23 / 25"
    assert run.ledger.all()[0].state == "graded"


def test_a_notebook_that_cannot_be_read_is_told_so_and_not_counted(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader)
    broken = submit(exchange, "ann", raw='{"cells": [')
    run.step()
    said = " ".join(page(exchange, broken).split())
    assert grader.submitted == [] and "cannot be graded" in said and "this one did not count" in said
    assert run.ledger.all()[0].state == "unreadable"
    submit(exchange, "ann", "now a notebook")
    run.step()
    assert grader.submitted == [("ann", "now a notebook")] and "left: 2 of 3" in run.ledger.all()[1].note


def test_a_submission_removed_before_its_turn_is_left_out_and_the_queue_goes_on(exchange, tmp_path):
    import shutil

    grader = StandInGrader()
    run = make(exchange, tmp_path, grader, workers=1)
    submit(exchange, "ann")
    submit(exchange, "bob", "bob's")
    run.step()
    shutil.rmtree(next((exchange / "inbound").glob("bob+*")))
    grader.finish("ann")
    run.step()
    assert [r.state for r in run.ledger.all()] == ["graded", "refused"] and len(grader.submitted) == 1


def test_the_instructors_page_shows_what_students_named_as_text(exchange, tmp_path):
    grader = StandInGrader()
    run = make(exchange, tmp_path, grader)
    hostile = "bob<img src=x onerror=alert(1)>"
    submit(exchange, hostile, made_by="mallory")
    submit(exchange, "ann")
    run.step()
    page_html = service.render(run.snapshot(), "Task <b>4.1</b>")
    assert "<img" not in page_html and "<b>" not in page_html and "&lt;img src=x onerror=alert(1)&gt;" in page_html
    assert "Refused (1)" in page_html and "Queue (1)" in page_html
