"""Grades and feedback in the form each LMS takes them back, written to ``<out>/lms/``.

Canvas
- ``canvas-grades-import.csv`` (Grades → Import): ``Student, ID, [SIS User ID], [SIS Login ID], Section``
  and only this assignment's column, titled as the export titles it (``<title> (<id>)``), after a
  ``Points Possible`` row; scores scaled to Canvas's points possible. Canvas creates a new assignment
  for any column it does not know and clears a score whose cell is blank, so only students with a
  score are written.
- ``canvas-feedback-reupload.zip`` (Assignment → Download Submissions' sibling, Re-Upload
  Submissions): one page per student named ``<name>[_LATE]_<user id>_<attachment id>_feedback.html``,
  the ids Canvas matches on, taken from the downloaded file's own name.

Moodle
- ``moodle-grading-worksheet.csv`` (Upload grading worksheet): the downloaded worksheet, every column
  and row as read, with Grade (scaled to each row's Maximum grade) and Feedback comments filled in for
  graded students; Moodle rejects a worksheet whose headers or field counts differ.
- ``moodle-feedback-files.zip`` (Upload multiple feedback files in a zip): each page in the student's
  folder of the download, named as the download named it.
"""
import csv
import io
import pathlib
import zipfile

from autograder.course.atomic_files import atomic_open, write_atomically
from autograder.errors import UserError
from autograder.lms import names
from autograder.result import Status

FEEDBACK_NAME = "feedback.html"


class ExportError(UserError):
    """The export cannot be made as asked: the message names the choice to make."""


def canvas_column(roster, wanted=None):
    """The roster's column of this assignment: the only one, or the one whose title or id holds ``wanted``."""
    columns = roster.assignment_columns
    if wanted:
        columns = [c for c in columns if wanted.lower() in c.lower()]
    if len(columns) == 1:
        return columns[0]
    listed = "; ".join(roster.assignment_columns) or "none"
    raise ExportError(f"{len(columns)} assignment columns of {roster.path.name} fit"
                      f"{f' {wanted!r}' if wanted else ''}: give --lms-assignment with part of the title or the "
                      f"id of this assignment's column (the columns: {listed})")


def _scaled(result, maximum):
    return round(result.final_score / result.max_score * maximum, 2) if result.max_score else 0.0


# Rows nbgrader scored. Every other row (nothing submitted, no notebook, a corrupt one, a grader fault)
# gets no grade in an import: the LMS keeps what it has, and the instructor decides (docs/lms.md).
SCORED = (Status.GRADED, Status.CRASHED, Status.TAMPERED, Status.TIMEOUT)


def _graded(results):
    return {r.student_id: r for r in results if r.score is not None and r.status in SCORED}


def canvas_import_csv(roster, results, column):
    """The text of a gradebook import for this assignment's column."""
    info = [h for h in ("Student", "ID", "SIS User ID", "SIS Login ID", "Section") if h in roster.header]
    points = roster.points_possible.get(column) or None
    graded = _graded(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(info + [column])
    writer.writerow(["    Points Possible"] + [""] * (len(info) - 1) + [f"{points:.2f}" if points else ""])
    for student_id, row in zip(roster.row_ids, roster.rows, strict=True):
        result = graded.get(student_id)
        if result is not None:
            score = _scaled(result, points) if points else result.final_score
            writer.writerow([row.get(h, "") for h in info] + [f"{score:.2f}"])
    return buffer.getvalue()


def moodle_worksheet_csv(roster, results, comment):
    """The downloaded worksheet with Grade and Feedback comments of graded students filled in."""
    graded = _graded(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(roster.header)
    for student_id, row in zip(roster.row_ids, roster.rows, strict=True):
        result = graded.get(student_id)
        row = dict(row)
        if result is not None:
            maximum = _number(row.get("Maximum grade")) or result.max_score
            row["Grade"] = f"{_scaled(result, maximum):.2f}"
            if "Feedback comments" in row:
                row["Feedback comments"] = comment(result)
        writer.writerow([row.get(h, "") for h in roster.header])
    return buffer.getvalue()


def _number(text):
    try:
        return float(str(text).replace(",", "."))
    except (TypeError, ValueError):
        return None


def canvas_reupload_name(download_name):
    """The name Canvas's Re-Upload Submissions reads the student from, for the downloaded file's page.

    Canvas drops ``LATE`` tokens, then reads ``anon_<anonymous id>_<attachment id>`` or, otherwise, the
    first two all-digit tokens as user and attachment id (Assignment#infer_comment_context_from_filename):
    ``<name>[_LATE]_<user id>_<attachment id>_feedback.html`` or ``anon_<id>_<attachment id>_feedback.html``.
    """
    found = names.canvas_entry(download_name)
    if found is None or not found.attachment_id:
        return None
    if found.student_id.startswith("canvas-anon-"):
        return f"anon_{found.lms_id}_{found.attachment_id}_{FEEDBACK_NAME}"
    tokens = download_name.split("_")
    user = next(i for i, t in enumerate(tokens) if t.isdigit() and i > 0)
    return "_".join(tokens[:user + 1] + [str(found.attachment_id), FEEDBACK_NAME])


def moodle_feedback_name(download_name):
    """The page's path in Moodle's feedback zip: inside the student's own download folder."""
    found = names.moodle_entry(download_name)
    if found is None:
        return None
    if found.file_name:  # a flat download: <name>_<id>_assignsubmission_file_<file>
        return f"{download_name[:-len(found.file_name)]}{FEEDBACK_NAME}"
    return f"{download_name}/{FEEDBACK_NAME}"


def feedback_zip(results, page_of, name_of):
    """Bytes of a zip holding each student's feedback page under ``name_of(result.lms_name)``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for result in results:
            if not result.scored:  # nothing was graded: no page to return
                continue
            page = page_of(result.student_id)
            name = name_of(result.lms_name) if result.lms_name else None
            if name and page.is_file():
                archive.writestr(name, page.read_bytes())
    return buffer.getvalue()


def write(out, layout_name, results, roster, page_of, comment, lms_assignment=None, log=print):
    """Every file of ``<out>/lms/`` this layout and roster allow; returns their paths."""
    folder = pathlib.Path(out) / "lms"
    written = []
    if layout_name == "canvas":
        if roster is not None and roster.lms == "canvas":
            written.append(_save(folder / "canvas-grades-import.csv",
                                 canvas_import_csv(roster, results, canvas_column(roster, lms_assignment))))
        written.append(_save(folder / "canvas-feedback-reupload.zip",
                             feedback_zip(results, page_of, canvas_reupload_name)))
    elif layout_name == "moodle":
        if roster is not None and roster.lms == "moodle":
            written.append(_save(folder / "moodle-grading-worksheet.csv",
                                 moodle_worksheet_csv(roster, results, comment)))
        written.append(_save(folder / "moodle-feedback-files.zip", feedback_zip(results, page_of,
                                                                                moodle_feedback_name)))
    if written:
        log(f"for the LMS: {', '.join(str(p) for p in written)} (docs/lms.md says where each is uploaded)")
    return written


def _save(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        with atomic_open(path, "wb") as handle:
            handle.write(data)
    else:
        write_atomically(path, data)
    return path
