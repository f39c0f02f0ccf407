"""Intake: turn a class's submissions into staged, validated notebooks, one row per student.

SUBMISSIONS may be
  * an nbgrader tree, ``<student>/<assignment>/*.ipynb`` (a ``submitted/`` folder),
  * a flat folder of LMS downloads whose names start with the student id
    (``s1234567_numpy_neural_network.ipynb``), or a folder per download named that way,
  * a ``.zip`` of either (optionally wrapped in one top folder, as when a folder is zipped).

Every problem becomes a row with a status code and a one-line detail; only an unreadable
SUBMISSIONS path raises IntakeError. The originals are only ever read: the notebook to
grade is copied to ``staging_dir/<student>/<notebook>.ipynb``. Zip members are read one
at a time (never extracted), and symlinks are followed only to regular files inside
SUBMISSIONS.

In an nbgrader tree (or the exchange's collected one) the ``timestamp.txt`` and
``submission_secret.txt`` beside the notebook give the row's submitted_at and
submission_secret.

Every student_id, including the ``unknown:<name>`` ids of rows whose student is unknown,
is a single path component of ASCII letters, digits and ``._-`` (after the prefix), so
callers may use it in file names.
"""
import collections
import contextlib
import dataclasses
import datetime
import hashlib
import os
import pathlib
import posixpath
import re
import stat
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO

import nbformat
from nbformat import validator

from autograder.errors import UserError
from autograder.grading import preflight
from autograder.lms import rosters
from autograder.result import Status, valid_student_id

DEFAULT_PATTERN = r"(?P<student>[A-Za-z0-9][A-Za-z0-9._-]*?)_"   # LMS download names start with the student id then "_"
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024

# Status codes of Submission.status. Several submissions of one student ("duplicate") are
# not a status of their own: the newest is graded and the detail says so.
UNKNOWN_PREFIX = "unknown:"
# Editor, OS and archiver litter that nobody submits on purpose (.ipynb_checkpoints, .DS_Store,
# __MACOSX/ and ._* AppleDouble files from macOS zips).
JUNK_NAMES = {"__MACOSX", "Thumbs.db", "desktop.ini"}
READ_ERRORS = (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error)
MAX_LISTED = 3
# nbgrader's submit writes these beside the notebook; they are read, never graded or listed as extras
TIMESTAMP, SECRET = "timestamp.txt", "submission_secret.txt"
MAX_SMALL_FILE = 4096


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
class _Entry:
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
class _Group:
    """The entries that belong to one row, before they are looked into."""
    name: str                       # top-level file or folder name (for unknown:<name> ids)
    student: str | None             # student id as found (maybe unsafe), None when unknown
    origin: str
    entries: list[_Entry]
    problem: tuple[str, str] | None = None   # (status, detail) known without looking inside
    late: bool = False                       # Canvas's LATE tag on the newest file


@dataclasses.dataclass
class _Context:
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


class _Rejected(UserError):
    """A notebook that cannot be graded: carries (status, detail)."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


# ---------------------------------------------------------------- entry point

def discover(submissions: str | os.PathLike, assignment: str, notebook_name: str, staging_dir: os.PathLike,
             pattern: str = DEFAULT_PATTERN, max_bytes: int = MAX_NOTEBOOK_BYTES, source: str = "auto",
             roster=None, on_layout=None, released=frozenset()) -> list[Submission]:
    """One Submission per student (sorted by student_id).

    ``released``: names of the files students receive beside the notebook (handed back, not noted).

    ``source``: auto, nbgrader, canvas, moodle or pattern (autograder/lms/detect.py says how auto
    decides; ``on_layout(layout, reason)`` hears which and why). ``roster``
    (autograder.lms.rosters.Roster): its students without a submission get a ``missing`` row, a
    submission of nobody on it a ``not-on-roster`` row, and a Moodle worksheet gives the submission
    times.

    Raises IntakeError when SUBMISSIONS is missing, neither a folder nor a zip, a corrupt
    zip, when pattern is not a regex with a named group ``student``, or when the source or the
    roster does not fit the submissions.
    """
    from autograder.lms import detect

    regex = _compile_pattern(pattern)
    root = pathlib.Path(submissions)
    with _open_entries(root) as (entries, is_zip):
        entries = [e for e in entries if not _is_junk(e.parts)]
        if is_zip:
            entries = _unwrap(entries, assignment)
        try:
            layout_name, reason = detect.layout(sorted({e.parts[0] for e in entries}), _is_tree(entries, assignment),
                                                source, regex, assignment)
        except detect.LayoutError as exc:
            raise IntakeError(str(exc)) from None
        if on_layout:
            on_layout(layout_name, reason)
        ctx = _Context(assignment, notebook_name, pathlib.Path(staging_dir), regex, max_bytes,
                       tree=layout_name == "nbgrader", released=frozenset(released))
        if layout_name == "nbgrader":
            groups = _tree_groups(entries, assignment)
        elif layout_name in ("canvas", "moodle"):
            groups = _lms_groups(entries, layout_name, ctx)
        else:
            groups = _flat_groups(entries, ctx)
        rows = [_read_submit_files(_assess(group, ctx), group, ctx) for group in groups]
    if roster is not None:
        rows = _with_roster(rows, roster, layout_name)
    return sorted(_unique_ids(rows), key=lambda row: row.student_id)


def _compile_pattern(pattern):
    """The student-id regex, checked once so a typo stops the command with a clear message."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise IntakeError(f"invalid student-id pattern {pattern!r}: {exc}") from None
    if "student" not in regex.groupindex:
        raise IntakeError(f"student-id pattern {pattern!r} has no named group (?P<student>...)")
    return regex


# ---------------------------------------------------------------- reading the container

@contextlib.contextmanager
def _open_entries(root):
    """Yield (entries, is_zip) for a folder or a zip; the zip stays open while entries are read."""
    try:
        is_dir, is_file = root.is_dir(), root.is_file()
    except OSError as exc:
        raise IntakeError(f"submissions path {root} cannot be read ({exc.strerror})") from None
    if is_dir:
        yield list(_walk_dir(root)), False
    elif is_file:
        try:
            archive = zipfile.ZipFile(root)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise IntakeError(f"{root} is not a folder or a readable .zip file ({exc})") from None
        with archive:
            yield list(_zip_entries(archive, str(root))), True
    elif root.exists() or root.is_symlink():
        raise IntakeError(f"{root} is neither a folder nor a .zip file")
    else:
        raise IntakeError(f"submissions path {root} does not exist")


def _walk_dir(root):
    """Every file and folder under root, without following symlinks (lstat only)."""
    real_root = pathlib.Path(os.path.realpath(root))
    stack = [()]
    while stack:
        parts = stack.pop()
        folder = os.path.join(root, *parts)
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda item: item.name)
        except OSError as exc:
            if not parts:
                raise IntakeError(f"submissions folder {root} cannot be listed ({exc.strerror})") from None
            # refused rather than skipped, so the student's row says why nothing was found
            yield _Entry(parts, "refused", folder, mtime=_lstat_mtime(folder), status=Status.CORRUPT,
                         detail=f"folder {folder} could not be listed ({exc.strerror})")
            continue
        if parts:
            yield _Entry(parts, "dir", folder, mtime=_lstat_mtime(folder))
        for item in items:
            item_parts = parts + (item.name,)
            if item.is_symlink():
                yield _symlink_entry(real_root, item.path, item_parts)
            elif item.is_dir(follow_symlinks=False):
                stack.append(item_parts)
            else:
                yield _file_entry(item.path, item_parts, item.stat(follow_symlinks=False))


def _file_entry(path, parts, st, origin=None):
    """A regular file (read later through O_NOFOLLOW), or a refused special file."""
    origin = origin or path
    if not stat.S_ISREG(st.st_mode):
        # reading a FIFO or device could hang or never end
        return _Entry(parts, "refused", origin, mtime=st.st_mtime, status=Status.UNSAFE_PATH,
                      detail=f"{parts[-1]} is not a regular file (device, pipe or socket)")
    return _Entry(parts, "file", origin, size=st.st_size, mtime=st.st_mtime,
                  opener=lambda: _open_regular(path))


def _symlink_entry(real_root, path, parts):
    """Follow a symlink only to a regular file inside SUBMISSIONS; refuse anything else."""
    target = pathlib.Path(os.path.realpath(path))
    mtime = _lstat_mtime(path)
    if not target.is_relative_to(real_root):
        return _refused(parts, path, mtime, f"{parts[-1]} is a symlink to outside the submissions")
    if target.is_dir():
        return _refused(parts, path, mtime, f"{parts[-1]} is a symlink to a folder (not followed)")
    try:
        st = target.stat()
    except OSError:
        return _refused(parts, path, mtime, f"{parts[-1]} is a broken symlink")
    return _file_entry(str(target), parts, st, origin=path)


def _refused(parts, origin, mtime, detail):
    return _Entry(parts, "refused", origin, mtime=mtime, status=Status.UNSAFE_PATH, detail=detail)


def _lstat_mtime(path):
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def _open_regular(path):
    """Open for reading without following a symlink swapped in since the listing."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is no longer a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _zip_entries(archive, label):
    """Entries for the members of an open zip; unsafe members are refused, never opened."""
    for info in archive.infolist():
        origin = f"{label}:{info.filename}"
        parts, unsafe = _zip_member_parts(info.filename)
        mtime = _zip_mtime(info)
        if not parts:
            continue
        if unsafe:
            yield _refused(parts, origin, mtime, f"zip entry {info.filename!r} {unsafe}")
        elif stat.S_ISLNK(info.external_attr >> 16):
            yield _refused(parts, origin, mtime, f"zip entry {info.filename!r} is a symlink")
        elif info.is_dir():
            yield _Entry(parts, "dir", origin, mtime=mtime)
        else:
            yield _Entry(parts, "file", origin, size=info.file_size, mtime=mtime,
                         opener=lambda info=info: archive.open(info))


def _zip_member_parts(filename):
    """(path components, reason it is unsafe or "") of a zip member name.

    Unsafe names are resolved lexically below a virtual root (``s1/../../s9_x`` -> ``s9_x``),
    only so that the row can still name the student; they are never opened.
    """
    name = filename.replace("\\", "/")   # some Windows archivers write backslashes
    drive = re.match(r"[A-Za-z]:", name)
    if name.startswith("/") or drive:
        reason = "has an absolute path"
    elif ".." in name.split("/"):
        reason = "has '..' in its path"
    else:
        reason = ""
    resolved = posixpath.normpath("/" + name[drive.end() if drive else 0:])
    return tuple(p for p in resolved.split("/") if p), reason


def _zip_mtime(info):
    """A zip member's date_time as a timestamp (local time, as zip stores it)."""
    try:
        return time.mktime(info.date_time + (0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0


def _is_junk(parts):
    """Hidden and OS/archiver litter anywhere on the path."""
    return any(p.startswith(".") or p in JUNK_NAMES for p in parts)


def _unwrap(entries, assignment):
    """Drop one folder that wraps a whole zip (a zipped ``submitted/`` or downloads folder).

    Only when what is inside is clearly a layout: an nbgrader tree, or files only.
    Refused entries do not count, so one ``../x`` member cannot defeat the unwrapping.
    """
    tops = {e.parts[0] for e in entries if e.kind != "refused"}
    if len(tops) != 1 or _is_tree(entries, assignment):
        return entries
    wrapper = tops.pop()
    inner = [dataclasses.replace(e, parts=e.parts[1:]) for e in entries
             if e.parts[0] == wrapper and len(e.parts) > 1]
    outside = [e for e in entries if e.parts[0] != wrapper]
    accepted = [e for e in inner if e.kind != "refused"]
    if accepted and (_is_tree(inner, assignment) or all(len(e.parts) == 1 for e in accepted)):
        return inner + outside
    return entries


def _is_tree(entries, assignment):
    """True when some top-level folder holds an ``<assignment>/`` folder."""
    return any(len(e.parts) >= 2 and e.parts[1] == assignment and (len(e.parts) > 2 or e.kind != "file")
               for e in entries)


# ---------------------------------------------------------------- grouping into rows

def _by_top(entries):
    """{top-level name: its entries}, in name order."""
    groups = collections.defaultdict(list)
    for entry in entries:
        groups[entry.parts[0]].append(entry)
    return dict(sorted(groups.items()))


def _top_entry(members):
    """The entry for the top-level item itself, if listed (zips may omit folder entries)."""
    return next((e for e in members if len(e.parts) == 1), None)


def _is_folder(members):
    top = _top_entry(members)
    return any(len(e.parts) > 1 for e in members) or (top is not None and top.kind == "dir")


def _tree_groups(entries, assignment):
    """One group per student folder of an nbgrader tree; stray notebooks beside them are rows too."""
    for name, members in _by_top(entries).items():
        top = _top_entry(members)
        if top is not None and top.kind == "refused":
            # a refused student folder (a symlink, unlistable) is that student's row
            student = None if _is_notebook(name) else name
            yield _Group(name, student, top.origin, [top], (top.status, top.detail))
        elif not _is_folder(members):
            # a loose notebook is a misplaced submission; other loose files are not submissions
            if _is_notebook(name):
                yield _Group(name, None, top.origin, [top],
                             (Status.BAD_FILENAME, f"{name} is not inside a <student>/{assignment}/ folder"))
        else:
            inside = [e for e in members if len(e.parts) >= 2 and e.parts[1] == assignment]
            if not inside:
                origin = top.origin if top is not None else _newest(members).origin
                yield _Group(name, name, origin, [],
                             (Status.EMPTY, f"no {assignment}/ folder: nothing submitted for this assignment"))
                continue
            folder = next((e for e in inside if len(e.parts) == 2), None)   # zips may not list it
            yield _Group(name, name, (folder or _newest(inside)).origin, inside)


def _flat_groups(entries, ctx):
    """One group per student id found in the top-level names; unmatched names are rows of their own."""
    by_student = collections.defaultdict(list)
    for name, members in _by_top(entries).items():
        student = _student_from_name(name, ctx)
        if student is None:
            yield _unknown_group(name, members, ctx)
        else:
            by_student[student].extend(members)
    for student, members in sorted(by_student.items()):
        newest = _newest(members)
        yield _Group(newest.parts[0], student, newest.origin, members)


def _lms_groups(entries, lms, ctx):
    """One group per student of a Canvas or Moodle download, told by the LMS's own entry names."""
    from autograder.lms import names

    by_student = collections.defaultdict(list)
    for name, members in _by_top(entries).items():
        found = names.entry(name, lms)
        if found is None:
            yield _Group(name, None, (_top_entry(members) or _newest(members)).origin, members,
                         (Status.BAD_FILENAME, f"{name} is not named as a {lms.capitalize()} download names a "
                                               "student's file: was it added to the download by hand?"))
            continue
        by_student[found.student_id].extend(dataclasses.replace(e, rank=found.attachment_id) for e in members)
    for student, members in sorted(by_student.items()):
        newest = _newest([e for e in members if _is_notebook(e.name)] or members)
        late = names.entry(newest.parts[0], lms).late
        yield _Group(newest.parts[0], student, newest.origin, members, late=late)


def _with_roster(rows, roster, layout_name):
    """Rows for students on the roster who submitted nothing; submissions of nobody on it say so."""
    if roster.lms in ("canvas", "moodle") and roster.lms != layout_name:
        wanted = rosters.EXPORTS.get(layout_name, "a CSV of username,first_name,last_name")
        raise IntakeError(f"the roster {roster.path} is {roster.lms.capitalize()}'s, the submissions are "
                          f"{layout_name}: give the roster exported from the same LMS as the submissions, "
                          f"{wanted}")
    known = roster.students
    for row in rows:
        student = known.get(row.student_id)
        if student is None and not row.student_id.startswith(UNKNOWN_PREFIX):
            row.status, row.notebook = Status.NOT_ON_ROSTER, None
            row.detail = f"matches nobody on the roster {roster.path.name} (from {row.origin})"
        elif student is not None and student.submitted_at is not None and row.submitted_at is None:
            row.submitted_at = student.submitted_at.astimezone(datetime.UTC)
    submitted = {row.student_id for row in rows}
    rows += [Submission(student_id, None, Status.MISSING, f"{student.full_name or student_id}: on the roster, "
                        "nothing submitted", "", 0.0, "")
             for student_id, student in known.items() if student_id not in submitted]
    return rows


def _student_from_name(name, ctx):
    """The student id at the start of a downloaded file or folder name, or None."""
    match = ctx.regex.match(name)
    if not match or not match.group("student"):
        return None
    # "numpy_neural_network.ipynb" would match the default pattern as student "numpy"
    if name.lower().startswith(ctx.notebook_name.lower()) and match.end("student") <= len(ctx.notebook_name):
        return None
    return match.group("student")


def _unknown_group(name, members, ctx):
    top = _top_entry(members)
    origin = top.origin if top is not None else _newest(members).origin
    refused = [e for e in members if e.kind == "refused"]
    if refused:   # an unsafe entry is the bigger problem than an unknown student
        problem = (refused[0].status, refused[0].detail)
    else:
        problem = (Status.BAD_FILENAME, f"{name} does not start with a student id: rename it to "
                   "<student id>_<anything>.ipynb, or describe the names with --pattern (a regex with a "
                   "(?P<student>...) group)")
    return _Group(name, None, origin, members, problem)


# ---------------------------------------------------------------- assessing one row

def _assess(group, ctx):
    """The Submission for one group: choose its notebook, validate it, stage a copy."""
    if group.student is None:
        status, detail = group.problem
        return _problem(_unknown_id(group.name), group, status, detail)
    if not valid_student_id(group.student):
        if group.problem and group.problem[0] == Status.UNSAFE_PATH:
            return _problem(_unknown_id(group.name), group, *group.problem)
        return _problem(_unknown_id(group.name), group, Status.BAD_FILENAME,
                        f"student id {group.student!r} has characters other than letters, digits, '.', '_' and '-'")
    if group.problem:
        return _problem(group.student, group, *group.problem)
    try:
        chosen, notes = _choose(group.entries, ctx)
    except _Rejected as exc:
        return _problem(group.student, group, exc.status, exc.detail)
    row = _check_and_stage(group.student, chosen, notes, ctx)
    row.reported_late, row.lms_name = group.late, chosen.parts[0]
    return row


def _problem(student_id, group, status, detail):
    """A row for a group that has no notebook to grade."""
    mtime = _newest(group.entries).mtime if group.entries else 0.0
    return Submission(student_id, None, status, detail, group.origin, mtime, "")


def _choose(entries, ctx):
    """(the notebook to grade, notes for the detail); raise _Rejected when there is none."""
    files = [e for e in entries if e.kind != "dir" and not _is_submit_file(e, ctx)]
    if not files:
        raise _Rejected(Status.EMPTY, "nothing submitted (empty folder)")
    notebooks = _candidates(files, ctx)
    others = [e for e in files if e not in notebooks]
    if not notebooks:
        refused = [e for e in others if e.kind == "refused"]
        if refused:
            raise _Rejected(refused[0].status, refused[0].detail)
        raise _Rejected(Status.NO_NOTEBOOK, f"no .ipynb file was submitted, only {_names(others, ctx)}")
    expected = [e for e in notebooks if _has_expected_name(e.name, ctx)]
    notes = []
    if expected:
        chosen = _newest(expected)
        if len(expected) > 1:
            notes.append(f"{len(expected)} submissions; graded the newest ({chosen.origin})")
        elif ctx.tree and _relative(chosen, ctx) != chosen.name:
            notes.append(f"taken from {_relative(chosen, ctx)}")
        others += [e for e in notebooks if e not in expected]
    elif len(notebooks) == 1:
        chosen = notebooks[0]
        notes.append(f"renamed from {_relative(chosen, ctx)}; graded as {ctx.expected_file}")
    else:
        raise _Rejected(Status.AMBIGUOUS, f"{len(notebooks)} notebooks and none named {ctx.expected_file}: "
                                   f"{_names(notebooks, ctx)}")
    unexpected = [e for e in others if e.name not in ctx.released]  # the data loader, the checker
    if unexpected:
        notes.append(f"ignored {_names(unexpected, ctx)}")
    return chosen, notes


def _candidates(files, ctx):
    """The notebooks that may be graded.

    In an nbgrader tree only the shallowest ones (nbgrader grades the assignment folder's
    own notebooks; a notebook in a subfolder is used only when there is none there).
    """
    notebooks = [e for e in files if _is_notebook(e.name)]
    if ctx.tree and notebooks:
        depth = min(len(e.parts) for e in notebooks)
        notebooks = [e for e in notebooks if len(e.parts) == depth]
    return notebooks


def _relative(entry, ctx):
    """The entry's path inside the student's submission (below <student>/<assignment>/ in a tree)."""
    return "/".join(entry.parts[2:] if ctx.tree else entry.parts)


def _is_notebook(name):
    return name.lower().endswith(".ipynb")


def _has_expected_name(name, ctx):
    """Exact in an nbgrader tree; LMS downloads only need to contain the notebook name."""
    if ctx.tree:
        return name == ctx.expected_file
    return ctx.notebook_name.lower() in name.lower()


def _newest(entries):
    """The LMS's newest (Canvas numbers files), else the latest mtime; ties go to the last origin."""
    return max(entries, key=lambda e: (e.rank, e.mtime, e.origin))


def _names(entries, ctx):
    """A short list of names for a detail sentence."""
    names = sorted(_relative(e, ctx) for e in entries)
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def _check_and_stage(student_id, entry, notes, ctx):
    """Validate the chosen notebook; stage a copy when it is gradable."""
    row = Submission(student_id, None, Status.OK, "", entry.origin, entry.mtime, "")
    try:
        data = _read_notebook_bytes(entry, ctx.max_bytes)
        row.digest = hashlib.sha256(data).hexdigest()
        staged_bytes, fixes = _parse_notebook(data)
    except _Rejected as exc:
        row.status = exc.status
        row.detail = "; ".join(notes + [exc.detail])
        return row
    row.notebook = _stage(ctx, student_id, staged_bytes)
    row.detail = "; ".join(notes + fixes)
    return row


def _read_notebook_bytes(entry, max_bytes):
    """The notebook's bytes, reading at most max_bytes + 1 of them."""
    if entry.kind == "refused":
        raise _Rejected(entry.status, entry.detail)
    if entry.size > max_bytes:
        raise _Rejected(Status.TOO_LARGE, f"{entry.name} is {_mb(entry.size)}, over the {_mb(max_bytes)} limit")
    try:
        with entry.opener() as stream:
            data = stream.read(max_bytes + 1)
    except READ_ERRORS as exc:
        raise _Rejected(Status.CORRUPT, f"{entry.name} could not be read ({type(exc).__name__}: {exc})") from None
    if len(data) > max_bytes:   # grew since it was listed, or a zip header that lied
        raise _Rejected(Status.TOO_LARGE, f"{entry.name} is over the {_mb(max_bytes)} limit")
    if not data:
        raise _Rejected(Status.EMPTY, f"{entry.name} is empty (0 bytes)")
    return data


def _mb(size):
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def _parse_notebook(data):
    """(bytes to stage, notes on what was fixed) for a readable notebook; raise _Rejected otherwise.

    Valid notebooks are staged byte for byte. What nbformat can repair (missing or
    duplicate cell ids, invalid metadata, an older format version, a UTF-8 byte-order
    mark) is repaired in the staged copy so nbgrader reads it cleanly.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Rejected(Status.NOT_UTF8, f"the notebook is not UTF-8 text (bad byte at offset {exc.start})") from None
    fixes = []
    if text.startswith("\ufeff"):
        text = text[1:]
        fixes.append("removed a UTF-8 byte-order mark")
    notebook, version = _read_json_notebook(text)
    if version != 4:
        fixes.append(f"converted from notebook format {version} to 4")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # nbformat warns about each repair it makes
        try:
            changes, notebook = validator.normalize(notebook, strip_invalid_metadata=True)
            validator.validate(notebook)
        except Exception as exc:  # noqa: BLE001 - ValidationError, or the validator choking on odd content
            raise _Rejected(Status.CORRUPT,
                            f"not a valid notebook: {preflight.first_line(exc) or type(exc).__name__}") from None
    if changes:
        fixes.append("repaired minor notebook format issues")
    if not fixes:
        return data, fixes
    return nbformat.writes(nbformat.from_dict(notebook)).encode("utf-8"), fixes


def _read_json_notebook(text):
    """(notebook converted to v4, its original major version).

    This is nbformat.reads(text, as_version=4) without its logging of invalid notebooks:
    validation is done (and reported) by the caller.
    """
    try:
        raw = nbformat.reader.reads(text)
    except nbformat.reader.NotJSONError as exc:
        cause = exc.__cause__
        raise _Rejected(Status.CORRUPT, f"not valid JSON ({cause})" if cause else "not valid JSON") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types for JSON that is not a notebook
        raise _Rejected(Status.CORRUPT,
                        f"not a Jupyter notebook ({preflight.first_line(exc) or type(exc).__name__})") from None
    version = raw.get("nbformat")
    try:
        return nbformat.convert(raw, 4), version
    except Exception as exc:  # noqa: BLE001 - any failure to convert is a corrupt notebook, said in its row
        raise _Rejected(Status.CORRUPT,
                        f"notebook format {version} could not be converted ({preflight.first_line(exc)})") from None


def _stage(ctx, student_id, data):
    """Write the copy to grade at staging_dir/<student_id>/<notebook>.ipynb."""
    assert valid_student_id(student_id), student_id   # ids were checked: the path stays in staging_dir
    folder = ctx.staging_dir / student_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ctx.expected_file
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- nbgrader's submit files

def _is_submit_file(entry, ctx):
    return ctx.tree and len(entry.parts) == 3 and entry.name in (TIMESTAMP, SECRET)


def _read_submit_files(row, group, ctx):
    """Set the row's submitted_at and submission_secret from its tree folder; a bad timestamp is a note."""
    if row.student_id != group.student:
        return row
    files = {e.name: e for e in group.entries if _is_submit_file(e, ctx) and e.kind == "file"}
    if SECRET in files:
        row.submission_secret = _read_small_text(files[SECRET])
    if TIMESTAMP in files:
        text = _read_small_text(files[TIMESTAMP])
        row.submitted_at = _parse_timestamp(text)
        if row.submitted_at is None:
            problem = "could not be read" if text is None else f"holds {text.strip()[:40]!r}, not a time"
            row.detail = "; ".join(filter(None, [row.detail, f"{TIMESTAMP} {problem}: submission time unknown "
                                                              "(counted as on time)"]))
    return row


def _parse_timestamp(text):
    """nbgrader's own reading of timestamp.txt, as an aware UTC datetime; None when it is not a time."""
    from nbgrader.utils import parse_utc  # nbgrader is imported where used: the grade command starts faster

    try:
        return parse_utc(text.strip()).replace(tzinfo=datetime.UTC) if text else None
    except (ValueError, OverflowError):  # dateutil found no time in it
        return None


def _read_small_text(entry):
    """The text of a small file, or None when it is too large, unreadable or not UTF-8."""
    if entry.size > MAX_SMALL_FILE:
        return None
    try:
        with entry.opener() as stream:
            return stream.read(MAX_SMALL_FILE).decode("utf-8")
    except (*READ_ERRORS, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------- row ids

def _unknown_id(name):
    """unknown:<stem>, with anything but [A-Za-z0-9._-] replaced so it is a safe file name."""
    stem = name[:-len(".ipynb")] if _is_notebook(name) else pathlib.PurePosixPath(name).stem or name
    return UNKNOWN_PREFIX + (re.sub(r"[^A-Za-z0-9._-]", "_", stem) or "_")


def _unique_ids(rows):
    """Suffix repeated unknown:<stem> ids (x.ipynb and x.txt) so every row has its own id."""
    seen = set()
    for row in rows:
        base, n = row.student_id, 1
        while row.student_id in seen:
            n += 1
            row.student_id = f"{base}-{n}"
        seen.add(row.student_id)
    return rows


def submission_files(submission):
    """{name: text} of nbgrader's submission files to keep beside the feedback (None: not known)."""
    stamp = submission.submitted_at
    return {TIMESTAMP: stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z") if stamp else None,
            SECRET: submission.submission_secret}
