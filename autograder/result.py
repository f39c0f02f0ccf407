"""The result of grading one student: one status enum for intake, grading, CSV, report and CLI,
the one student-id rule, and ``Result``, the one row type they all pass around.

A ``Result`` is saved as results/<student>.json (``to_json``) and read back with ``from_json``;
the worker sends it to the coordinator the same way, with the feedback page and the autograded
notebook (``in_flight``) that only the result store writes to disk.
"""
import dataclasses
import enum
import re
from typing import TypedDict

from autograder import late_work


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
    MISSING = "missing"                # on the roster, nothing submitted
    NOT_ON_ROSTER = "not-on-roster"    # a submission of someone the roster does not list

    def __str__(self):
        return self.value

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)

    def __hash__(self) -> int:  # "graded" (read back from JSON) and Status.GRADED are one set member
        return str.__hash__(self)


SCORED = frozenset({Status.GRADED, Status.CRASHED, Status.TAMPERED, Status.TIMEOUT})
INTAKE = (Status.OK, Status.NO_NOTEBOOK, Status.EMPTY, Status.AMBIGUOUS, Status.CORRUPT, Status.NOT_UTF8,
          Status.TOO_LARGE, Status.BAD_FILENAME, Status.UNSAFE_PATH, Status.MISSING, Status.NOT_ON_ROSTER)

# Student ids name folders and files (autograded/<id>/, feedback/<id>.html): letters, digits, . _ -
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def valid_student_id(student_id):
    return bool(STUDENT_ID.fullmatch(str(student_id)))


class CellGrade(TypedDict, total=False):
    score: float
    max_score: float
    needs_manual: bool   # awaits a person (a written answer); its score is not yet counted
    manual: bool         # the score was given by a person in Formgrader
    diagnosis: str       # a failed test's named mistake (autograder/kernel/task4_1/diagnoses.py); absent when unnamed


IN_FLIGHT = ("feedback_html", "autograded_notebook")


@dataclasses.dataclass
class Result:
    """One student's row."""

    student_id: str
    status: Status = Status.ERROR
    detail: str = ""
    score: float | None = 0.0      # None: a grader error, no score at all (not a 0)
    max_score: float = 0.0
    cells: dict[str, CellGrade] = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    isolation: str = ""            # how the kernel was confined ("user:task41-sbx0", "rlimits-only")
    digest: str = ""               # SHA-256 of the submitted notebook: a rerun regrades changed ones only
    origin: str = ""               # where intake found the notebook
    # late work (late_work.apply sets them at each output; the penalty is never taken off score or cells)
    submitted_at: str = ""         # ISO 8601 UTC, "" when unknown
    reported_late: bool = False    # the LMS marked it late without a time (Canvas's LATE tag)
    lms_name: str = ""             # the LMS download's name of the graded file: where its feedback goes back
    late_seconds: float = 0.0      # 0 when on time (inside the grace period too)
    penalty_percent: float = 0.0
    late_note: str = ""            # the verdict in words for the feedback page; "" when no due date is set
    # in flight from the worker to the result store, never in the results file
    feedback_html: str = dataclasses.field(default="", repr=False)
    autograded_notebook: str = dataclasses.field(default="", repr=False)

    def __post_init__(self):
        self.status = Status(self.status)

    @property
    def scored(self):
        return self.status in SCORED

    @property
    def final_score(self):
        """The total after the late penalty (None for a row without a score)."""
        return late_work.final_score(self.score, self.penalty_percent)

    def add_detail(self, text):
        """Append a remark to the detail."""
        self.detail = "; ".join(filter(None, [self.detail, text]))

    def set_cells(self, cells):
        """Store per-cell grades and their totals."""
        self.cells = cells
        self.score = float(sum(c["score"] for c in cells.values()))
        self.max_score = float(sum(c["max_score"] for c in cells.values()))

    def to_json(self, in_flight=False):
        """The results file's fields (``in_flight``: also the feedback page and notebook, for the worker's reply)."""
        data = dataclasses.asdict(self)
        data["status"] = self.status.value
        if not in_flight:
            for name in IN_FLIGHT:
                del data[name]
        return data

    @classmethod
    def from_json(cls, data):
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    @classmethod
    def problem(cls, submission, max_score):
        """A row for a submission intake could not stage (its status says why): nothing ran."""
        return cls(submission.student_id, submission.status, submission.detail, max_score=max_score,
                   digest=submission.digest, origin=submission.origin,
                   submitted_at=late_work.iso(submission.submitted_at), reported_late=submission.reported_late,
                   lms_name=submission.lms_name)

    @classmethod
    def grader_error(cls, student_id, max_score, fault, seconds=0.0):
        """A row the grading machine failed: no score at all, to be regraded by the next run."""
        return cls(student_id, Status.GRADER_ERROR, score=None, max_score=max_score, seconds=seconds,
                   detail=f"not graded: fault of the grading machine, not of the submission ({fault}); "
                          "fix it and rerun: only such rows are graded again")
