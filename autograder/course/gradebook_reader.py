"""Reading nbgrader's gradebook: the one way to open it, the assignment's graded cells, the grades.

Every part of the grader that reads cells or scores goes through here (grading one submission
in its scratch course, the class run, publish, the tests); grading/gradebook.py writes.
"""
import contextlib
import dataclasses
import functools
import os

import nbformat

from autograder.course import environment, layout


@contextlib.contextmanager
def open_gradebook(db_url):
    """nbgrader's Gradebook at ``db_url``.

    Creating a database makes nbgrader run the `alembic` command, which must then be on PATH
    (this environment's bin, as child processes get it); PATH is set for that moment only.
    """
    from nbgrader.api import Gradebook

    saved = os.environ.get("PATH")
    os.environ["PATH"] = environment.child_env()["PATH"]
    try:
        book = Gradebook(db_url)
    finally:
        if saved is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = saved
    with book:
        yield book


@dataclasses.dataclass(frozen=True)
class GradedCell:
    grade_id: str
    max_score: float
    manual: bool          # a written answer: a person scores it


@dataclasses.dataclass(frozen=True)
class StoredGrade:
    score: float          # what nbgrader counts: the manual score if a person gave one, else the automatic
    max_score: float
    needs_manual: bool    # awaits a person
    auto_score: float | None
    manual_score: float | None


@functools.cache
def _notebook_order(source_notebook):
    return [cell.metadata.get("nbgrader", {}).get("grade_id")
            for cell in nbformat.read(str(source_notebook), as_version=4).cells]


def graded_cells(db_url, task=None):
    """[GradedCell] of assignment ``task`` (default: Task 4.1), in its notebook's order."""
    task = task or layout.TASK
    with open_gradebook(db_url) as book:
        cells = {cell.name: GradedCell(cell.name, float(cell.max_score), cell.cell_type == "markdown")
                 for notebook in book.find_assignment(task.name).notebooks for cell in notebook.grade_cells}
    if not cells:
        raise ValueError(f"the gradebook {db_url} has no graded cells for {task.name}")
    order = {grade_id: index for index, grade_id in enumerate(_notebook_order(task.source_notebook))}
    return sorted(cells.values(), key=lambda cell: (order.get(cell.grade_id, len(order)), cell.grade_id))


def cells_order(db_url, task=None):
    """[(grade_id, points)] of the graded cells: what grades.csv and the report take."""
    return [(cell.grade_id, cell.max_score) for cell in graded_cells(db_url, task)]


def _submissions(book, task, student_id):
    name = (task or layout.TASK).name
    if student_id is None:
        return book.assignment_submissions(name)
    return [book.find_submission(name, student_id)]


def stored_grades(db_url, student_id=None, task=None):
    """{student: {grade_id: StoredGrade}} of the submissions of ``task`` (default: Task 4.1; one student's,
    if given).

    Raises nbgrader's MissingEntry when that student has no submission.
    """
    with open_gradebook(db_url) as book:
        return {submission.student_id: {
                    grade.name: StoredGrade(float(grade.score or 0), float(grade.max_score or 0),
                                            bool(grade.needs_manual_grade), grade.auto_score, grade.manual_score)
                    for notebook in submission.notebooks for grade in notebook.grades}
                for submission in _submissions(book, task, student_id)}


def stored_comments(db_url, task=None):
    """{student: {cell name: comment}}: what people wrote on cells in Formgrader."""
    with open_gradebook(db_url) as book:
        return {submission.student_id: {comment.name: comment.manual_comment
                                        for notebook in submission.notebooks for comment in notebook.comments
                                        if comment.manual_comment}
                for submission in _submissions(book, task, None)}
