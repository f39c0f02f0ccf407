"""The output of a graded class, in --out: results/, feedback/ and autograded/ (as results arrive),
then grades.csv, the report and the LMS files. `grade` writes them; `publish` rewrites them.

A full disk stops the class (OutputFull) with the fix and what a rerun does; what was saved stays.
"""
import contextlib
import errno
import json
import pathlib

from autograder import late_work
from autograder.course.atomic_files import write_atomically
from autograder.errors import WorkIncomplete
from autograder.grading import course_output, lms_output
from autograder.report import class_report
from autograder.result import Result, Status


def _write_json(path, data):
    write_atomically(path, json.dumps(data, indent=1, sort_keys=True))


class OutputFull(WorkIncomplete):
    """The output folder has no room left: stop, keep what was saved."""


@contextlib.contextmanager
def stop_when_full(folder, doing, rerun):
    """Turn "no space left" while ``doing`` into OutputFull, with the fix and what a rerun does."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise OutputFull(f"the output folder {folder} is full ({exc.strerror}) while {doing}. Every result saved "
                         f"before is intact. Fix: free space there (or use another --out) and rerun the same "
                         f"command: {rerun}") from None


class ResultStore:
    """results/<student>.json, feedback/<student>/<assignment>/: written as results arrive.

    Feedback and autograded notebooks are in nbgrader's layout (Formgrader and release_feedback read them).
    """

    def __init__(self, out, task):
        self.out = out
        self.task = task  # the Assignment graded
        self.results_dir = out / "results"
        self.results_dir.mkdir(parents=True, exist_ok=True)

    def autograded_path(self, student_id):
        return self.task.student_notebook(self.out, "autograded", student_id)

    def feedback_path(self, student_id):
        return course_output.feedback_page(self.out, student_id, self.task)

    def write_feedback(self, result, page, submission_files=None):
        """The feedback page with its late-work notice, and the submission's own files beside it."""
        path = self.feedback_path(result.student_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, late_work.insert_notice(page, late_work.notice_html(result)))
        course_output.write_submission_files(path.parent, submission_files or {})

    def path(self, student_id):
        return self.results_dir / f"{student_id}.json"

    def feedback_stamp(self, student_id):
        """What a person had given the student when their feedback page was last written ("" if nothing)."""
        path = self.results_dir / "feedback-manual" / f"{student_id}.json"
        return path.read_text(encoding="utf-8") if path.is_file() else ""

    def set_feedback_stamp(self, student_id, stamp):
        path = self.results_dir / "feedback-manual" / f"{student_id}.json"
        path.parent.mkdir(exist_ok=True)
        write_atomically(path, stamp)

    def load(self, student_id):
        try:
            return Result.from_json(json.loads(self.path(student_id).read_text()))
        except (FileNotFoundError, json.JSONDecodeError, TypeError, ValueError):
            return None

    @staticmethod
    def is_current(submission, previous):
        """``previous`` (its saved Result) was graded from identical bytes: a changed submission is regraded."""
        return previous is not None and previous.digest == submission.digest and previous.scored

    def save(self, result, submission_files=None):
        """Feedback page, then the result (the result last: it is what marks the student graded).

        ``submission_files``: {name: text} of nbgrader's timestamp.txt and submission_secret.txt.
        """
        feedback, notebook = result.feedback_html, result.autograded_notebook
        result.feedback_html = result.autograded_notebook = ""
        with stop_when_full(self.results_dir.parent, f"saving {result.student_id}",
                            "it grades only the students without a saved result."):
            if feedback and result.status != Status.GRADER_ERROR:
                self.write_feedback(result, feedback, submission_files)
                self.set_feedback_stamp(result.student_id, "")  # nbgrader wrote it without a person's grades
            if notebook and result.scored:
                self.autograded_path(result.student_id).parent.mkdir(parents=True, exist_ok=True)
                write_atomically(self.autograded_path(result.student_id), notebook)
            _write_json(self.path(result.student_id), result.to_json())
        return result

    def all(self):
        return [Result.from_json(json.loads(p.read_text())) for p in sorted(self.results_dir.glob("*.json"))]


def feedback_with_manual_grades(out, db_url, results, manual, store, rerun, everyone=False):
    """Regenerate the feedback page of each student whose page does not show what a person gave; their ids.

    nbgrader's generate_feedback, run in ``out`` (an nbgrader course) against the class gradebook, so
    the page shows the person's score and comment. ``publish`` does it for ``everyone`` a person scored
    or commented on; ``grade`` for the students whose page does not show what a person gave now: each
    page's record of it is results/feedback-manual/<student>.json, emptied when a regrade writes a
    fresh page (from a gradebook without the person's work).
    """
    wanted = {s: _manual_stamp(scores, comments) for s, (scores, comments) in manual.items()}
    people = sorted(s for s, stamp in wanted.items() if store.autograded_path(s).is_file()
                    and (store.feedback_stamp(s) != stamp or (everyone and stamp)))
    by_id = {r.student_id: r for r in results}
    with stop_when_full(out, "writing feedback", rerun):
        for student_id in people:
            if student_id in by_id:
                store.write_feedback(by_id[student_id], _generated_feedback(out, student_id, db_url, store.task))
                store.set_feedback_stamp(student_id, wanted[student_id])
    return set(people)


def _manual_stamp(scores, comments):
    """What a person gave one student, as text ("" for nothing)."""
    given = {"scores": scores, "comments": {k: v for k, v in comments.items() if v}}
    return json.dumps(given, sort_keys=True) if scores or given["comments"] else ""


def _generated_feedback(out, student_id, db_url, task):
    """The student's feedback page, regenerated by nbgrader from the autograded notebook and the gradebook."""
    import tempfile

    from autograder.course.scratch_course import Course

    with tempfile.TemporaryDirectory(prefix="task41-feedback-") as scratch:
        Course(out).nbgrader("generate_feedback", task.name, f"--student={student_id}", "--force",
                             f"--CourseDirectory.feedback_directory={scratch}/feedback",
                             f"--CourseDirectory.db_url={db_url}")
        page = task.student_notebook(pathlib.Path(scratch), "feedback", student_id, ".html")
        return page.read_text(encoding="utf-8")


def write_tables(out, results, cells_order, lms_settings, store, log, roster=None, rerun=""):
    """grades.csv, report.html (with misconceptions.csv) and the LMS files, from ``results``."""
    with stop_when_full(out, "writing grades.csv and the report", rerun):
        class_report.write_grades_csv(results, cells_order, out / "grades.csv")
        class_report.write_class_report(results, cells_order, out, store.task)
        lms_output.write(out, lms_settings, results, store.feedback_path, log, roster)
