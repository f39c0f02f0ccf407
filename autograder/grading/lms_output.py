"""The class's files for its LMS, in ``<out>/lms/``, written by `grade` and rewritten by `publish`.

`grade` remembers the layout of the submissions and keeps a copy of the roster it was given
(``lms/settings.json``, ``lms/roster.csv``), so `publish`, after manual grading, rewrites the same
exports with the final scores. The originals are only read.
"""
import json
import pathlib
import shutil

from autograder.course.atomic_files import write_atomically
from autograder.lms import exports, rosters
from autograder.report import class_report


def remember(out, layout_name, roster_path, lms_assignment):
    folder = pathlib.Path(out) / "lms"
    settings = {"layout": layout_name, "roster": None, "lms_assignment": lms_assignment}
    if layout_name in ("canvas", "moodle"):
        folder.mkdir(parents=True, exist_ok=True)
        if roster_path is not None:
            shutil.copyfile(roster_path, folder / "roster.csv")
            settings["roster"] = "roster.csv"
        write_atomically(folder / "settings.json", json.dumps(settings, indent=1))
    return settings


def recall(out):
    try:
        return json.loads((pathlib.Path(out) / "lms" / "settings.json").read_text())
    except FileNotFoundError:
        return None


def comment(result):
    """The short comment an LMS shows beside the grade; the feedback page has the details."""
    text = f"Autograded: {class_report.format_score(result)}"
    if result.penalty_percent:
        text += f"; late: -{result.penalty_percent:g}%, {result.final_score:g} after it"
    pending = [cell for cell, grade in result.cells.items() if grade.get("needs_manual")]
    if pending:
        text += "; the written answer is still to be graded"
    return text + ". Your feedback file names every test and what went wrong."


def write(out, settings, results, page_of, log=print, roster=None):
    """The exports of ``settings`` (remember's); ``roster``: the one grade read, else the kept copy is read."""
    if not settings or settings["layout"] not in ("canvas", "moodle"):
        return []
    if roster is None and settings.get("roster"):
        roster = rosters.read(pathlib.Path(out) / "lms" / settings["roster"])
    return exports.write(out, settings["layout"], results, roster, page_of, comment, settings.get("lms_assignment"),
                         log)
