"""The result of grading one student: one status enum for intake, grading, CSV, report and CLI,
the one student-id rule, and the constructors of result rows.

A result is a plain dict (saved as results/<student>.json, read by the report and the CSV):
student_id, status, detail, score (None for a grader error), max_score, cells
({grade_id: {score, max_score, needs_manual}}), seconds, and while in flight the feedback page
and the autograded notebook as text.
"""
import enum
import re


class Status(str, enum.Enum):
    """Why a row has the score it has. Values are what grades.csv and the results files hold."""

    # graded by nbgrader: the scores go into the gradebook
    GRADED = "graded"
    CRASHED = "crashed"            # the kernel died: graded cells after it scored 0, earlier points kept
    TAMPERED = "tampered"          # the tamper check fired: tests from that cell on scored 0
    TIMEOUT = "timeout"            # the notebook ran out of time: what nbgrader saved
    # not graded
    ERROR = "error"                # nbgrader refused the notebook (not JSON, not a valid notebook)
    GRADER_ERROR = "grader-error"  # a fault of the grading machine: no score, graded again by the next run
    # intake: OK is graded, every other one is a row without a run
    OK = "ok"
    NO_NOTEBOOK = "no-notebook"
    EMPTY = "empty"
    AMBIGUOUS = "ambiguous-notebooks"
    CORRUPT = "corrupt-notebook"
    NOT_UTF8 = "not-utf8"
    TOO_LARGE = "too-large"
    BAD_FILENAME = "bad-filename"
    UNSAFE_PATH = "unsafe-path"

    def __str__(self):
        return self.value

    __format__ = str.__format__
    __hash__ = str.__hash__  # "graded" (read back from JSON) and Status.GRADED are one set member


SCORED = frozenset({Status.GRADED, Status.CRASHED, Status.TAMPERED, Status.TIMEOUT})
INTAKE = (Status.OK, Status.NO_NOTEBOOK, Status.EMPTY, Status.AMBIGUOUS, Status.CORRUPT, Status.NOT_UTF8,
          Status.TOO_LARGE, Status.BAD_FILENAME, Status.UNSAFE_PATH)

# Student ids name folders and files (autograded/<id>/, feedback/<id>.html): letters, digits, . _ -
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def valid_student_id(student_id):
    return bool(STUDENT_ID.fullmatch(str(student_id)))


def new_result(student_id, isolation):
    """The result of a submission nothing could be done with yet."""
    return {"student_id": student_id, "status": Status.ERROR, "detail": "", "score": 0.0, "max_score": 0.0,
            "cells": {}, "seconds": 0.0, "isolation": isolation, "feedback_html": "", "autograded_notebook": ""}


def add_detail(result, text):
    """Append a remark to the result's detail."""
    result["detail"] = "; ".join(filter(None, [result["detail"], text]))


def set_cells(result, cells):
    """Store per-cell grades and their totals."""
    result["cells"] = cells
    result["score"] = float(sum(c["score"] for c in cells.values()))
    result["max_score"] = float(sum(c["max_score"] for c in cells.values()))


def problem_row(submission, max_score):
    """A result for a submission intake could not stage (its status says why): nothing ran."""
    return {"student_id": submission.student_id, "status": submission.status, "detail": submission.detail,
            "score": 0.0, "max_score": max_score, "cells": {}, "seconds": 0.0, "digest": submission.digest}


def grader_error_row(student_id, max_score, fault, seconds=0.0):
    """A row the grading machine failed: no score at all (not a 0), to be regraded by the next run."""
    return {"student_id": student_id, "status": Status.GRADER_ERROR, "score": None, "max_score": max_score,
            "cells": {}, "seconds": seconds,
            "detail": f"not graded: fault of the grading machine, not of the submission ({fault}); "
                      "fix it and rerun: only such rows are graded again"}
