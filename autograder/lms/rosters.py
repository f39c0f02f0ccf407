"""The class list from the LMS's own export, or from the course roster.

- Canvas gradebook export (lib/gradebook_exporter.rb): ``Student, ID, [SIS User ID], SIS Login ID,
  [Integration ID], [Root Account], Section``, custom columns, one column per assignment titled
  ``<title> (<assignment id>)``, then totals; an optional ``Manual Posting`` row and a ``Points
  Possible`` row (label with leading spaces) before the students. UTF-8, maybe a BOM, ``,`` or ``;``.
- Moodle grading worksheet (assignfeedback_offline): ``Identifier`` (``Participant <id>``), ``Full name``,
  identity columns, ``Status``, ``Grade``, ``Maximum grade``, ..., ``Last modified (submission)`` in the
  downloading teacher's time zone without a zone (``Tuesday, 5 March 2024, 2:03 PM``), ...,
  ``Feedback comments``. Every row has the header's field count; exports keep all of it as read.
- The course roster (autograder/course/roster.py): ``username, first_name, last_name[, role]``.
"""
import csv
import dataclasses
import datetime
import io
import pathlib
import re

from autograder.course import roster as course_roster
from autograder.course.safe_html import plain_name

CANVAS_INFO = ("Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Root Account", "Section")
CANVAS_TOTALS = re.compile(r"Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                           r"Override Score|Override Grade|Override Status")
CANVAS_ASSIGNMENT = re.compile(r"\A(?P<title>.*)\s\((?P<id>\d+)\)\Z")
MOODLE_IDENTIFIER = re.compile(r"^\D*?(\d+)$")   # "Participant 123456" in the teacher's language
MOODLE_TIME = "%A, %d %B %Y, %I:%M %p"


RosterError = course_roster.RosterError  # one error for every class list: the course roster's or the LMS's


@dataclasses.dataclass(frozen=True)
class Student:
    student_id: str
    full_name: str
    first_name: str = ""
    last_name: str = ""
    section: str = ""
    lms_id: str = ""                              # Canvas user id / Moodle participant id
    submitted_at: datetime.datetime | None = None  # Moodle's "Last modified (submission)", aware
    extension_until: datetime.datetime | None = None  # Moodle's "Extension granted until: ..." in Status, aware

    def __post_init__(self):  # names come from an LMS export, which students can edit: no markup
        for field in ("full_name", "first_name", "last_name", "section"):
            object.__setattr__(self, field, plain_name(getattr(self, field)))


@dataclasses.dataclass
class Roster:
    lms: str                                      # "canvas", "moodle" or "course"
    path: pathlib.Path
    students: dict                                # student_id -> Student
    header: list = dataclasses.field(default_factory=list)
    rows: list = dataclasses.field(default_factory=list)   # the rows as read (dicts), for the exports
    row_ids: list = dataclasses.field(default_factory=list)  # the student_id of each row
    assignment_columns: list = dataclasses.field(default_factory=list)  # Canvas "<title> (<id>)" columns
    points_possible: dict = dataclasses.field(default_factory=dict)     # Canvas column -> points
    delimiter: str = ","

    def names(self):
        return [(s.student_id, s.first_name, s.last_name) for s in self.students.values()]

    def extensions(self):
        """{student id: the due date the LMS granted them}, for late work."""
        return {s.student_id: s.extension_until for s in self.students.values() if s.extension_until}


EXPORTS = {"canvas": "Canvas's gradebook export (Grades > Export > Export Entire Gradebook)",
           "moodle": "Moodle's grading worksheet (the assignment > View all submissions > Download grading worksheet)"}


# Canvas's Test Student (Student View): sortable name "Student, Test", download slug "studenttest".
CANVAS_TEST_STUDENT = ("Test Student", "studenttest")


def is_canvas_test_student(roster, student_id, download_name=""):
    """Canvas's Test Student, by the roster's name or the download's slug: the teacher's own test account."""
    student = roster.students.get(student_id) if roster is not None and roster.lms == "canvas" else None
    return (student is not None and student.full_name == CANVAS_TEST_STUDENT[0]) or \
        (student_id.startswith("canvas-") and download_name.lower().startswith(CANVAS_TEST_STUDENT[1] + "_"))


def check_not_anonymous(roster, student_ids):
    """RosterError for a roster given with an anonymous Canvas download: no row could be matched."""
    if roster.lms == "canvas" and any(s.startswith("canvas-anon-") for s in student_ids):
        raise RosterError(
            f"the submissions are an anonymous Canvas download (anon_<id> names), which hides the user ids "
            f"{roster.path.name} names students by, so none could be matched. Run the same command without "
            "--roster: rows are canvas-anon-<id>, and lms/canvas-feedback-reupload.zip returns each page through "
            "Re-Upload Submissions; enter the scores in SpeedGrader, or download again with --roster once the "
            "assignment's grades are posted (Canvas then shows names)")


def _read_text(path):
    try:
        return pathlib.Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(f"{path} is not UTF-8 text: export it again from the LMS (CSV, UTF-8)") from None
    except OSError as exc:
        raise RosterError(f"cannot read the roster {path}: {exc.strerror}") from None


def _sniff(text):
    first = "\n".join(text.splitlines()[:3])
    return ";" if first.count(";") > first.count(",") else ","


def read(path, timezone="UTC"):
    """The Roster in ``path``, whichever of the three kinds it is (told by its header)."""
    path = pathlib.Path(path)
    text = _read_text(path)
    delimiter = _sniff(text)
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise RosterError(f"{path} is empty")
    header = [cell.strip() for cell in rows[0]]
    if header[:2] == ["Student", "ID"] or header[:3] == ["LastName", "FirstName", "ID"]:
        return _canvas(path, header, rows[1:], delimiter)
    if header and header[0] in ("Identifier",) or (len(header) > 1 and "Full name" in header):
        return _moodle(path, header, rows[1:], delimiter, timezone)
    if {"username", "first_name", "last_name"} <= set(header):
        people = course_roster.students(course_roster.read(path))  # the hub's instructor is no student of the class
        return Roster("course", path, {p.username: Student(p.username, f"{p.first_name} {p.last_name}".strip(),
                                                           p.first_name, p.last_name) for p in people})
    raise RosterError(f"{path}: not a roster this command knows. Give Canvas's gradebook export (Grades → Export → "
                      "Export Entire Gradebook), Moodle's grading worksheet (assignment → View all submissions → "
                      "Download grading worksheet) or a CSV with username,first_name,last_name")


def _canvas(path, header, body, delimiter):
    if "Section" not in header:
        raise RosterError(f"{path}: a Canvas gradebook export has a Section column; export the whole gradebook again")
    assignments = [h for h in header[header.index("Section") + 1:]
                   if CANVAS_ASSIGNMENT.match(h) and not CANVAS_TOTALS.search(h)]
    roster = Roster("canvas", path, {}, header, assignment_columns=assignments, delimiter=delimiter)
    for number, cells in enumerate(body, start=2):
        row = dict(zip(header, cells, strict=False))  # Canvas leaves trailing empty cells out of some rows
        label = (cells[0] if cells else "").strip()
        if label == "Points Possible":
            roster.points_possible = {a: _number(row.get(a)) for a in assignments}
            continue
        if not any(c.strip() for c in cells) or all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, re.I)
                                                      for c in cells):
            continue
        canvas_id = (row.get("ID") or "").strip()
        if not canvas_id.isdigit():
            raise RosterError(f"{path}, line {number}: the ID column should hold Canvas's numeric user id, "
                              f"not {canvas_id!r}")
        if "Student" in row:
            last, _, first = row["Student"].partition(",")
            full = f"{first.strip()} {last.strip()}".strip()
        else:
            first, last = row.get("FirstName", "").strip(), row.get("LastName", "").strip()
            full = f"{first} {last}".strip()
        student = Student(f"canvas-{canvas_id}", full, first.strip(), last.strip(),
                          row.get("Section", "").strip(), canvas_id)
        roster.students[student.student_id] = student
        roster.rows.append(row)
        roster.row_ids.append(student.student_id)
    return roster


def _moodle(path, header, body, delimiter, timezone):
    missing = [h for h in ("Identifier", "Grade", "Last modified (grade)") if h not in header]
    if missing:
        raise RosterError(f"{path}: a Moodle grading worksheet has the columns Identifier, Grade and Last modified "
                          f"(grade); missing {', '.join(missing)}. Download it again in English (the column names "
                          "follow the teacher's language)")
    roster = Roster("moodle", path, {}, header, delimiter=delimiter)
    for number, cells in enumerate(body, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise RosterError(f"{path}, line {number}: {len(cells)} fields where the header has {len(header)}; "
                              "Moodle rejects such a worksheet: download it again")
        row = dict(zip(header, cells, strict=True))
        match = MOODLE_IDENTIFIER.match(row["Identifier"].strip())
        if not match:
            raise RosterError(f"{path}, line {number}: Identifier {row['Identifier']!r} is not 'Participant <number>'")
        full = row.get("Full name", "").strip()
        first, _, last = full.partition(" ")
        extension = MOODLE_EXTENSION.search(row.get("Status", ""))
        student = Student(f"moodle-{match.group(1)}", full, first, last, "", match.group(1),
                          moodle_time(row.get("Last modified (submission)", ""), timezone, path, number),
                          moodle_time(extension.group(1), timezone, path, number) if extension else None)
        roster.students[student.student_id] = student
        roster.rows.append(row)
        roster.row_ids.append(student.student_id)
    return roster


# The worksheet's Status joins the grading table's lines with " - ": "Submitted for grading - Extension granted
# until: Friday, 15 March 2024, 5:00 PM" (Moodle's userextensiondate string, English).
MOODLE_EXTENSION = re.compile(r"Extension granted until:?\s*(\w+day, \d{1,2} \w+ \d{4}, \d{1,2}:\d{2} [AP]M)")


def moodle_time(text, timezone, path="", line=0):
    """A worksheet time (teacher's zone, no marker) as an aware datetime; None for '-' or empty."""
    from dateutil import tz  # type: ignore[import-untyped]  # ships no stubs

    text = text.strip()
    if text in ("", "-"):
        return None
    try:
        moment = datetime.datetime.strptime(re.sub(r"\s+", " ", text), MOODLE_TIME)
    except ValueError:
        raise RosterError(f"{path}, line {line}: 'Last modified (submission)' {text!r} is not Moodle's English "
                          "date format (e.g. 'Tuesday, 5 March 2024, 2:03 PM'); download the worksheet in "
                          "English") from None
    zone = tz.gettz(timezone)
    if zone is None:
        raise RosterError(f"the time zone {timezone!r} (c.LatePolicy.timezone) is not known")
    return moment.replace(tzinfo=zone)


def _number(text):
    try:
        return float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
