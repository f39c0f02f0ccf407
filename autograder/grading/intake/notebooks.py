"""One row from its group: choose the notebook to grade, check it (size, UTF-8, JSON, nbformat),
repair what nbformat can, and stage a copy."""
import hashlib
import warnings

import nbformat
from nbformat import validator

from autograder.errors import UserError
from autograder.grading import preflight
from autograder.grading.intake import submit_files
from autograder.grading.intake.containers import READ_ERRORS
from autograder.grading.intake.records import Submission, is_notebook, newest_entry, unknown_id
from autograder.result import Status, valid_student_id

MAX_LISTED = 3


class _Rejected(UserError):
    """A notebook that cannot be graded: carries (status, detail)."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


NotGradable = _Rejected  # what gradable() raises, by its public name


def gradable(name, data, max_bytes):
    """(bytes to grade, notes on what was repaired) of one notebook's bytes, checked and repaired as a
    submission's are; raise NotGradable (its status and detail) when they cannot be graded."""
    if len(data) > max_bytes:
        raise _Rejected(Status.TOO_LARGE, f"{name} is {_mb(len(data))}, over the {_mb(max_bytes)} limit")
    if not data:
        raise _Rejected(Status.EMPTY, f"{name} is empty (0 bytes)")
    return _parse_notebook(data)


# ---------------------------------------------------------------- assessing one row

def assess(group, ctx):
    """The Submission for one group: choose its notebook, validate it, stage a copy."""
    if group.student is None:
        status, detail = group.problem
        return _problem(unknown_id(group.name), group, status, detail)
    if not valid_student_id(group.student):
        if group.problem and group.problem[0] == Status.UNSAFE_PATH:
            return _problem(unknown_id(group.name), group, *group.problem)
        return _problem(unknown_id(group.name), group, Status.BAD_FILENAME,
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
    mtime = newest_entry(group.entries).mtime if group.entries else 0.0
    return Submission(student_id, None, status, detail, group.origin, mtime, "")


def _choose(entries, ctx):
    """(the notebook to grade, notes for the detail); raise _Rejected when there is none."""
    files = [e for e in entries if e.kind != "dir" and not submit_files.is_submit_file(e, ctx)]
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
        chosen = newest_entry(expected)
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
    notebooks = [e for e in files if is_notebook(e.name)]
    if ctx.tree and notebooks:
        depth = min(len(e.parts) for e in notebooks)
        notebooks = [e for e in notebooks if len(e.parts) == depth]
    return notebooks


def _relative(entry, ctx):
    """The entry's path inside the student's submission (below <student>/<assignment>/ in a tree)."""
    return "/".join(entry.parts[2:] if ctx.tree else entry.parts)


def _has_expected_name(name, ctx):
    """Exact in an nbgrader tree; LMS downloads only need to contain the notebook name."""
    if ctx.tree:
        return name == ctx.expected_file
    return ctx.notebook_name.lower() in name.lower()


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
