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

The stages, one module each (``discover`` below runs them in this order):

  containers    the folder or zip read as entries, unsafe ones refused, litter dropped
  grouping      the entries grouped into rows by layout (tree, LMS download, named files), the roster
  notebooks     per row: the notebook chosen, checked, repaired and staged
  submit_files  nbgrader's timestamp.txt and submission_secret.txt, read and given back
  records       what they hand on: entries, groups, Submission rows, IntakeError
"""
import os
import pathlib
import re

from autograder.grading.intake import containers, grouping, notebooks, submit_files
from autograder.grading.intake.notebooks import NotGradable, gradable
from autograder.grading.intake.records import Context, IntakeError, Submission, unique_ids
from autograder.grading.intake.submit_files import submission_files

__all__ = ["DEFAULT_PATTERN", "MAX_NOTEBOOK_BYTES", "IntakeError", "NotGradable", "Submission", "discover",
           "gradable", "submission_files"]

DEFAULT_PATTERN = r"(?P<student>[A-Za-z0-9][A-Za-z0-9._-]*?)_"   # LMS download names start with the student id then "_"
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


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
    with containers.open_entries(root) as (entries, is_zip):
        entries = [e for e in entries if not containers.is_junk(e.parts)]
        if is_zip:
            entries = grouping.unwrap(entries, assignment)
        try:
            layout_name, reason = detect.layout(sorted({e.parts[0] for e in entries}),
                                                grouping.is_tree(entries, assignment), source, regex, assignment)
        except detect.LayoutError as exc:
            raise IntakeError(str(exc)) from None
        if on_layout:
            on_layout(layout_name, reason)
        ctx = Context(assignment, notebook_name, pathlib.Path(staging_dir), regex, max_bytes,
                      tree=layout_name == "nbgrader", released=frozenset(released))
        if layout_name == "nbgrader":
            groups = grouping.tree_groups(entries, assignment)
        elif layout_name in ("canvas", "moodle"):
            groups = grouping.lms_groups(entries, layout_name, ctx)
        else:
            groups = grouping.flat_groups(entries, ctx)
        rows = [submit_files.read_submit_files(notebooks.assess(group, ctx), group, ctx) for group in groups]
    if roster is not None:
        rows = grouping.with_roster(rows, roster, layout_name)
    return sorted(unique_ids(rows), key=lambda row: row.student_id)


def _compile_pattern(pattern):
    """The student-id regex, checked once so a typo stops the command with a clear message."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise IntakeError(f"invalid student-id pattern {pattern!r}: {exc}") from None
    if "student" not in regex.groupindex:
        raise IntakeError(f"student-id pattern {pattern!r} has no named group (?P<student>...)")
    return regex
