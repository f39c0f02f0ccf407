"""nbgrader's submit files, the timestamp.txt and submission_secret.txt beside the notebook in an
nbgrader tree: read into the row, and given back beside the feedback."""
import datetime

from autograder.grading.intake.containers import READ_ERRORS

# nbgrader's submit writes these beside the notebook; they are read, never graded or listed as extras
TIMESTAMP, SECRET = "timestamp.txt", "submission_secret.txt"
MAX_SMALL_FILE = 4096


def is_submit_file(entry, ctx):
    return ctx.tree and len(entry.parts) == 3 and entry.name in (TIMESTAMP, SECRET)


def read_submit_files(row, group, ctx):
    """Set the row's submitted_at and submission_secret from its tree folder; a bad timestamp is a note."""
    if row.student_id != group.student:
        return row
    files = {e.name: e for e in group.entries if is_submit_file(e, ctx) and e.kind == "file"}
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


def submission_files(submission):
    """{name: text} of nbgrader's submission files to keep beside the feedback (None: not known)."""
    stamp = submission.submitted_at
    return {TIMESTAMP: stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z") if stamp else None,
            SECRET: submission.submission_secret}
