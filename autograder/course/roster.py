"""The course roster: one row per person, ``username,first_name,last_name[,role]`` (role: instructor or student).

The hub makes one account per row; the grade command takes the names for the gradebook from it.
"""
import csv
import dataclasses
import pathlib
import re

from autograder.course.safe_html import plain_name
from autograder.errors import UserError
from autograder.result import valid_student_id

ROLES = ("instructor", "student")
# Unix account names that are also valid student ids (folders in the course, ids in the gradebook)
USERNAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "hub" / "example_roster.csv"


class RosterError(UserError):
    """A class list cannot be used (this course roster, or an LMS's export: lms/rosters.py): the message says
    which file, row or column, and the fix."""


@dataclasses.dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str

    def __post_init__(self):  # Formgrader prints names unescaped: no markup gets into one
        for field in ("first_name", "last_name"):
            object.__setattr__(self, field, plain_name(getattr(self, field)))


def read(path):
    """[Person] from the CSV at ``path``; RosterError says what is wrong and where."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"cannot read the roster {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    rows = list(reader)
    missing = {"username", "first_name", "last_name"} - set(reader.fieldnames or ())
    if missing:
        raise RosterError(f"{path}: the header must name username,first_name,last_name[,role] "
                          f"(missing: {', '.join(sorted(missing))})")
    people, seen = [], set()
    for line, row in enumerate(rows, start=2):
        person = Person(*(str(row.get(key) or default).strip() for key, default in
                          (("username", ""), ("first_name", ""), ("last_name", ""), ("role", "student"))))
        where = f"{path}, line {line}"
        if not USERNAME.fullmatch(person.username) or not valid_student_id(person.username):
            raise RosterError(f"{where}: username {person.username!r} is not a safe account name (lowercase "
                              "letter first, then lowercase letters, digits, _ or -, at most 32)")
        if person.role not in ROLES:
            raise RosterError(f"{where}: role {person.role!r} must be one of {', '.join(ROLES)}")
        if person.username in seen:
            raise RosterError(f"{where}: {person.username} is listed twice")
        seen.add(person.username)
        people.append(person)
    return people


def the_instructor(people, path):
    """The one instructor of a hub's roster (the course folder is theirs)."""
    found = instructors(people)
    if len(found) != 1:
        raise RosterError(f"{path}: give exactly one row the role instructor (found {len(found)}): the course "
                          "folder is that person's; a team sharing one course folder needs nbgrader's "
                          "groupshared setup (docs/hub.md)")
    return found[0]


def instructors(people):
    return [p for p in people if p.role == "instructor"]


def students(people):
    return [p for p in people if p.role == "student"]
