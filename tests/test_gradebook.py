"""gradebook.record: a failure once the submission may be stored is told apart from a write that surely failed."""
import types

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from autograder.course import layout
from autograder.grading import gradebook
from autograder.result import Result


def fake_gradebook(commit_error, student_error=None):
    class Session:
        def commit(self):
            raise commit_error

    class FakeGradebook:
        def __init__(self, db_url):
            self.db = Session()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update_or_create_student(self, student_id):
            if student_error is not None:
                raise student_error

        def update_or_create_submission(self, assignment, student_id):
            return types.SimpleNamespace(notebooks=[])

    return FakeGradebook


def test_a_connection_lost_during_the_commit_leaves_the_outcome_unknown(monkeypatch):
    lost = OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"),
                            connection_invalidated=True)
    monkeypatch.setattr("nbgrader.api.Gradebook", fake_gradebook(lost))
    with pytest.raises(gradebook.CommitOutcomeUnknown, match="server closed the connection"):
        gradebook.record("postgresql://grader@db/gradebook", Result("amy", score=1.0), layout.TASK)


def test_a_refused_commit_may_leave_the_submission_nbgrader_already_stored(monkeypatch):
    refused = IntegrityError("COMMIT", {}, Exception("duplicate key"))
    monkeypatch.setattr("nbgrader.api.Gradebook", fake_gradebook(refused))
    with pytest.raises(gradebook.CommitOutcomeUnknown, match="duplicate key"):
        gradebook.record("postgresql://grader@db/gradebook", Result("amy", score=1.0), layout.TASK)


def test_a_failure_before_the_submission_is_an_ordinary_failure(monkeypatch):
    refused = OperationalError("INSERT", {}, Exception("connection refused"))
    monkeypatch.setattr("nbgrader.api.Gradebook", fake_gradebook(None, student_error=refused))
    with pytest.raises(OperationalError):
        gradebook.record("postgresql://grader@db/gradebook", Result("amy", score=1.0), layout.TASK)


def test_formgrader_lists_every_student_as_last_comma_first_with_no_empty_part(tmp_path):
    """nbgrader's pages print "last, first" (None for a missing part): no "ada," and no "None, None"."""
    from nbgrader.api import Gradebook

    db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    names = [("bob", "Bob", "O'Brien"), ("eve", "<b>Eve</b>", "Evil\"x"), ("nameless", "", "")]
    gradebook.name_students(db_url, ["ada", "bob", "eve", "nameless"], names)
    with Gradebook(db_url) as book:
        shown = {s.id: f"{s.last_name}, {s.first_name}" for s in book.students}
    assert shown == {"ada": "ada, (no roster name)", "bob": "O'Brien, Bob", "eve": "Evil x, b Eve /b",
                     "nameless": "nameless, (no roster name)"}
