"""After a person graded in Formgrader: manual scores and comments into grades.csv, the report and feedback.

`grade` leaves --out as an nbgrader course (gradebook, autograded/<student>/<assignment>/, an
nbgrader_config.py), so Formgrader can open it. People then score the written answer there; this
step reads those scores and comments back from the gradebook, regenerates the feedback pages of the
students a person graded (nbgrader generate_feedback, with the course's stages), and rewrites
grades.csv and report.html. It changes nothing in the gradebook but the late penalties (recomputed
from the submission times and the scores now) and can be run any number of times.
"""
import pathlib

from autograder import late_work
from autograder.course import gradebook_reader, layout
from autograder.errors import UserError
from autograder.grading import class_output, course_output, gradebook, lms_output
from autograder.lms import rosters


class NotAGradedClass(UserError):
    """--out does not hold a class graded by `python -m autograder grade`."""


def run(out, db_url=None, log=print):
    out = pathlib.Path(out).resolve()
    if not (out / "results").is_dir() or not (out / "nbgrader_config.py").is_file():
        raise NotAGradedClass(f"{out} holds no class graded by `python -m autograder grade` (no results/ or "
                              "nbgrader_config.py): give the --out folder of that command")
    db_url = db_url or layout.sqlite_url(out)
    task = course_output.graded_assignment(out)
    store = class_output.ResultStore(out, task)
    results = store.all()
    manual = gradebook.manual_grading(db_url, task)
    gradebook.apply_manual_grades(results, manual)
    policy = late_work.load_policy(course_output.policy_config(out))
    settings = lms_output.recall(out)
    if settings and settings.get("roster"):  # the LMS's extensions, as grade read them
        roster = rosters.read(out / "lms" / settings["roster"], policy.timezone)
        late_work.with_extensions(policy, task.name, roster.extensions())
    late_work.apply(results, policy, task.name)
    gradebook.record_late_work(db_url, results, policy, task)  # before nbgrader's feedback reads them
    rerun = "it changes nothing in the gradebook."
    people = class_output.feedback_with_manual_grades(out, db_url, results, manual, store, rerun, everyone=True)
    with class_output.stop_when_full(out, "writing feedback", rerun):
        for result in results:
            page = store.feedback_path(result.student_id)
            if result.student_id not in people and page.is_file():  # the late-work notice as the policy says now
                store.write_feedback(result, page.read_text(encoding="utf-8"))
    course_output.ensure_source(out, layout.REPO, task)  # release/ in a folder graded before grade copied it
    class_output.write_tables(out, results, gradebook_reader.cells_order(db_url, task), lms_output.recall(out),
                              store, log, rerun=rerun)
    course_output.give_to_owner(out)
    pending = sorted(r.student_id for r in results if any(c.get("needs_manual") for c in r.cells.values()))
    log(f"{len(results)} students; manual grades or comments of {len(people)} carried into their feedback; "
        f"{len(pending)} still await manual grading; grades: {out / 'grades.csv'}")
    return results

