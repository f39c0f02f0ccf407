"""The class gradebook: nbgrader's own database (SQLite or any SQLAlchemy URL).

Only the coordinator calls these; sandboxed graders work on throw-away copies.  nbgrader is
imported where it is used: the grade command starts its workers while importing it would hold it up.
"""
import functools
import pathlib
import sqlite3

from autograder import late_work
from autograder.course import gradebook_reader
from autograder.course.gradebook_reader import open_gradebook
from autograder.course.safe_html import plain_name
from autograder.errors import GraderFault


@functools.cache
def alembic_head():
    """The database revision of the installed nbgrader (its newest alembic migration)."""
    import nbgrader
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(pathlib.Path(nbgrader.__file__).parent / "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


def create_stamped_sqlite(path):
    """A new SQLite gradebook holding only nbgrader's revision stamp.

    nbgrader creates its tables in it on first use, but skips looking up the revision
    with `alembic heads` in a subprocess, which imports nbgrader again (3 s).
    """
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (alembic_head(),))
    db.close()


def ensure_assignment(db_url, course, task):
    """Create assignment ``task`` (notebooks, grade cells) in the database unless it is there."""
    from nbgrader.api import MissingEntry

    with open_gradebook(db_url) as gradebook:
        try:
            gradebook.find_assignment(task.name)
            return
        except MissingEntry:
            pass
    course.nbgrader("generate_assignment", task.name, "--force", f"--CourseDirectory.db_url={db_url}")


# In a grader-error row's detail when the database may hold its score after all (and the rerun rewrites it).
OUTCOME_UNKNOWN = "the gradebook failed while saving this score: it may hold this submission, with or without it"


class CommitOutcomeUnknown(GraderFault):
    """The connection broke during the commit: the database may or may not have stored the record."""


def record(db_url, result, task):
    """Store one student's automatic scores of ``task``; manual scores already given are left alone.

    Raises CommitOutcomeUnknown when the database fails once the submission may be stored: nbgrader's
    update_or_create_submission commits the submission itself (without these scores), and a server
    stopping during our commit may have committed it before it could answer. An error before that
    (the connection, the student's row) means no submission of this student was stored.
    """
    from sqlalchemy.exc import DBAPIError

    with open_gradebook(db_url) as gradebook:
        gradebook.update_or_create_student(result.student_id)
        try:
            submission = gradebook.update_or_create_submission(task.name, result.student_id)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cell = result.cells.get(grade.name)
                    if cell and cell["needs_manual"]:  # a score a person already gave stays given
                        grade.auto_score, grade.needs_manual_grade = None, grade.manual_score is None
                    else:
                        grade.auto_score = cell["score"] if cell else 0.0
                        grade.needs_manual_grade = False
            gradebook.db.commit()
        except DBAPIError as exc:
            raise CommitOutcomeUnknown(f"{type(exc.orig).__name__}: {exc.orig}") from exc


def scores(db_url, task=None):
    """{student: {grade_id: auto score or None}} as stored (for tests and checks)."""
    return {student: {gid: grade.auto_score for gid, grade in grades.items()}
            for student, grades in gradebook_reader.stored_grades(db_url, task=task).items()}


def manual_grading(db_url, task):
    """{student: ({grade_id: manual score}, {grade_id: manual comment})}: what people entered in Formgrader."""
    comments = gradebook_reader.stored_comments(db_url, task)
    return {student: ({gid: grade.manual_score for gid, grade in grades.items() if grade.manual_score is not None},
                      comments.get(student, {}))
            for student, grades in gradebook_reader.stored_grades(db_url, task=task).items()}


def record_late_work(db_url, results, policy, task):
    """The due date, submission times, extensions and penalties (in points) into nbgrader's gradebook.

    Formgrader, nbgrader's feedback and `nbgrader export` then show the same final scores as grades.csv.
    The penalties are the ones late_work.apply set on ``results``.
    """
    due = policy.due_date(task.name)
    rows = {}
    for result in results:
        if result.scored:
            student_due, extended = policy.student_due_date(task.name, result.student_id)
            extension = student_due - due if extended and due else None
            points = round(result.score - result.final_score, 6)
            rows[result.student_id] = (late_work.from_iso(result.submitted_at), extension, points)
    set_due_date(db_url, due, task)
    record_lateness(db_url, rows, task)


def set_due_date(db_url, due, task):
    """The assignment's due date (an aware datetime, or None for none), stored as nbgrader does: naive UTC."""
    with open_gradebook(db_url) as gradebook:
        gradebook.update_or_create_assignment(task.name, duedate=due)  # converts to naive UTC, commits


def record_lateness(db_url, lateness, task):
    """``{student: (submitted_at, extension, penalty in points)}`` into the submissions the gradebook holds.

    nbgrader takes late_submission_penalty off the score it shows (Formgrader, its feedback, `nbgrader export`).
    The course has one notebook, so it carries the whole penalty.
    """
    from nbgrader.utils import parse_utc

    with open_gradebook(db_url) as gradebook:
        for submission in gradebook.assignment_submissions(task.name):
            if submission.student_id not in lateness:
                continue
            submitted_at, extension, points = lateness[submission.student_id]
            if submitted_at is not None:  # unknown here need not mean unknown to nbgrader's own collect
                submission.timestamp = parse_utc(submitted_at)
            submission.extension = extension
            for notebook in submission.notebooks:
                notebook.late_submission_penalty = (points or None) if notebook.name == task.notebook_stem else None
        gradebook.db.commit()


def apply_manual_grades(results, manual):
    """Put the manual scores read by manual_grading into results (cells and totals); return the students changed."""
    changed = set()
    for result in results:
        scores, _ = manual.get(result.student_id, ({}, {}))
        if result.score is None or not scores:
            continue
        for grade_id, score in scores.items():
            cell = result.cells.get(grade_id)
            if cell is None:
                continue
            before = 0.0 if cell.get("needs_manual") else float(cell.get("score") or 0)
            if cell.get("needs_manual") or before != score:
                result.score = float(result.score) - before + float(score)
                result.cells[grade_id] = {**cell, "score": float(score), "needs_manual": False, "manual": True}
                changed.add(result.student_id)
    return changed


NO_ROSTER_NAME = "(no roster name)"


def name_students(db_url, student_ids, names):
    """Give every student of the class a name in the gradebook: the roster's, else the id as the last name.

    ``names``: [(student_id, first name, last name)]. Formgrader always shows "last, first" (nbgrader's
    pages print None for a missing part), so a student without a name on the roster is listed as
    "ada, (no roster name)", never "ada," or "None, None".
    """
    known = {student_id: (plain_name(first), plain_name(last)) for student_id, first, last in names}
    with open_gradebook(db_url) as book:
        stored = {s.id: (s.first_name, s.last_name) for s in book.students}
        for student_id in student_ids:
            wanted = known.get(student_id, ("", ""))
            if not any(wanted):
                wanted = (NO_ROSTER_NAME, student_id)
            if stored.get(student_id) != wanted:  # nbgrader commits each one: a rerun writes none
                book.update_or_create_student(student_id, first_name=wanted[0], last_name=wanted[1])
