"""What the intake stages hand on: an entry of SUBMISSIONS, one row's group of entries, the row itself
(Submission), and the ids of rows whose student is unknown."""
import dataclasses
import datetime
import pathlib
import re
from collections.abc import Callable
from typing import BinaryIO

from autograder.errors import UserError
from autograder.result import Status

# Status codes of Submission.status. Several submissions of one student ("duplicate") are
# not a status of their own: the newest is graded and the detail says so.
UNKNOWN_PREFIX = "unknown:"


class IntakeError(UserError):
    """SUBMISSIONS cannot be read at all, so nothing can be graded."""


@dataclasses.dataclass
class Submission:
    student_id: str
    notebook: pathlib.Path | None   # staged COPY of the notebook to grade; None when status != "ok"
    status: Status                  # Status.OK or an intake problem (result.INTAKE)
    detail: str                     # one human sentence for the grades CSV ("" when nothing to say)
    origin: str                     # where it came from (path, or "archive.zip:member")
    mtime: float                    # submission time (file mtime; for zip members their date_time)
    digest: str                     # sha256 hex of the notebook bytes ("" when none)
    submitted_at: datetime.datetime | None = None   # UTC, from an nbgrader tree's timestamp.txt
    submission_secret: str | None = None            # its submission_secret.txt, where nbgrader's feedback goes
    reported_late: bool = False                     # the LMS marked it late without a time (Canvas's LATE)
    lms_name: str = ""                              # the download's top-level name of the graded file (LMS exports)


@dataclasses.dataclass
class Entry:
    """One file, folder or refused item of SUBMISSIONS, whatever the container."""
    parts: tuple[str, ...]          # path inside SUBMISSIONS
    kind: str                       # "file", "dir" or "refused" (never read)
    origin: str
    size: int = 0
    mtime: float = 0.0
    opener: Callable[[], BinaryIO] | None = None
    status: str = ""                # why a refused entry was refused ...
    detail: str = ""                # ... and in words
    rank: int = 0                   # newer is larger where the LMS numbers files (Canvas's attachment ids)

    @property
    def name(self):
        return self.parts[-1]


@dataclasses.dataclass
class Group:
    """The entries that belong to one row, before they are looked into."""
    name: str                       # top-level file or folder name (for unknown:<name> ids)
    student: str | None             # student id as found (maybe unsafe), None when unknown
    origin: str
    entries: list[Entry]
    problem: tuple[str, str] | None = None   # (status, detail) known without looking inside
    late: bool = False                       # Canvas's LATE tag on the newest file


@dataclasses.dataclass
class Context:
    assignment: str
    notebook_name: str
    staging_dir: pathlib.Path
    regex: re.Pattern
    max_bytes: int
    tree: bool = False
    released: frozenset = frozenset()  # files students receive beside the notebook: returned, they are not news

    @property
    def expected_file(self):
        return f"{self.notebook_name}.ipynb"


def is_notebook(name):
    return name.lower().endswith(".ipynb")


def newest_entry(entries):
    """The LMS's newest (Canvas numbers files), else the latest mtime; ties go to the last origin."""
    return max(entries, key=lambda e: (e.rank, e.mtime, e.origin))


# ---------------------------------------------------------------- row ids

def unknown_id(name):
    """unknown:<stem>, with anything but [A-Za-z0-9._-] replaced so it is a safe file name."""
    stem = name[:-len(".ipynb")] if is_notebook(name) else pathlib.PurePosixPath(name).stem or name
    return UNKNOWN_PREFIX + (re.sub(r"[^A-Za-z0-9._-]", "_", stem) or "_")


def unique_ids(rows):
    """Suffix repeated unknown:<stem> ids (x.ipynb and x.txt) so every row has its own id."""
    seen = set()
    for row in rows:
        base, n = row.student_id, 1
        while row.student_id in seen:
            n += 1
            row.student_id = f"{base}-{n}"
        seen.add(row.student_id)
    return rows
