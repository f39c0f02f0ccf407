"""The end of a class's outputs, shared by `grade` (once its workers are done) and `publish` (after manual
grading): what a person gave in Formgrader and the late penalties into the results and the gradebook, then
the feedback pages, grades.csv, the report and the LMS files.

The two commands differ only in their Policy: what a failing gradebook does, what a rerun is said to
do when the disk fills, and how much publish rewrites.
"""
import contextlib
import dataclasses
import pathlib

from autograder import late_work
from autograder.course import gradebook_reader, layout
from autograder.grading import class_output, course_output, gradebook, preflight


@dataclasses.dataclass(frozen=True)
class Policy:
    """How a command finishes."""

    gradebook_errors_warn: bool          # True: warn and write the tables anyway; False: the error stops it
    rerun_feedback: str                  # what rerunning the command does, in the message of a full disk
    rerun_tables: str
    every_page: bool = False             # rewrite every feedback page: a person's grades, the late notice now
    course_source: pathlib.Path | None = None  # the course to fill a missing source/ and release/ from


# grade: an unreachable gradebook must not lose the CSV of what was just graded (publish adds the rest later)
GRADE = Policy(gradebook_errors_warn=True,
               rerun_feedback="it regrades nothing and writes the feedback again.",
               rerun_tables="it regrades nothing and writes the CSV and report.")
# publish: carrying the gradebook into the outputs is all it does, so a gradebook error stops it
PUBLISH = Policy(gradebook_errors_warn=False,
                 rerun_feedback="it changes nothing in the gradebook.",
                 rerun_tables="it changes nothing in the gradebook.",
                 every_page=True,
                 course_source=layout.REPO)  # release/ in a folder graded before grade copied it


def run(store, db_url, results, late_policy, lms_settings, log, policy, *, cells_order=None, roster=None):
    """Finish ``results`` (changed in place) and write the outputs in store.out; the students whose
    feedback page was regenerated with what a person gave.

    ``cells_order``: [(grade_id, points)] for the tables; None reads the gradebook's when they are
    written. ``roster``: the class list already read, else lms_output reads its kept copy.
    """
    out, task = store.out, store.task
    manual = {}  # scores a person gave in Formgrader
    with _gradebook_step(policy, log, "manual scores could not be read from the gradebook",
                         "grades.csv shows automatic scores only. Once the gradebook is back, "
                         "`python -m autograder publish` adds them."):
        manual = gradebook.manual_grading(db_url, task)
        gradebook.apply_manual_grades(results, manual)
    late_work.apply(results, late_policy, task.name)
    # before nbgrader's feedback reads them; Formgrader and `nbgrader export` show the penalties too
    with _gradebook_step(policy, log, "late penalties could not be written to the gradebook",
                         "grades.csv and the report hold them"):
        gradebook.record_late_work(db_url, results, late_policy, task)
    # a regraded student's fresh page came from a gradebook without the person's score: carry it back in
    people = class_output.feedback_with_manual_grades(out, db_url, results, manual, store, policy.rerun_feedback,
                                                      everyone=policy.every_page)
    if policy.every_page:
        _refresh_late_notices(store, results, people, policy.rerun_feedback)
    if policy.course_source is not None:
        course_output.ensure_source(out, policy.course_source, task)
    if cells_order is None:
        cells_order = gradebook_reader.cells_order(db_url, task)
    class_output.write_tables(out, results, cells_order, lms_settings, store, log, roster, rerun=policy.rerun_tables)
    return people


@contextlib.contextmanager
def _gradebook_step(policy, log, failed, then):
    """A step on the gradebook: under a policy whose gradebook errors warn, a failure is one warning line."""
    if not policy.gradebook_errors_warn:
        yield
        return
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - any driver error: the tables are written without this step
        log(f"warning: {failed} ({type(exc).__name__}: {preflight.first_line(exc, 200)}); {then}")


def _refresh_late_notices(store, results, regenerated, rerun):
    """Every other page that exists, with the late-work notice as the policy says now."""
    with class_output.stop_when_full(store.out, "writing feedback", rerun):
        for result in results:
            page = store.feedback_path(result.student_id)
            if result.student_id not in regenerated and page.is_file():
                store.write_feedback(result, page.read_text(encoding="utf-8"))
