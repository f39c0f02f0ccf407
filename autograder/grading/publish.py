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
from autograder.course import layout
from autograder.errors import UserError
from autograder.grading import class_output, course_output, finish, lms_output
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
    policy = late_work.load_policy(course_output.policy_config(out))
    settings = lms_output.recall(out)
    if settings and settings.get("roster"):  # the LMS's extensions, as grade read them
        roster = rosters.read(out / "lms" / settings["roster"], policy.timezone)
        late_work.with_extensions(policy, task.name, roster.extensions())
    people = finish.run(store, db_url, results, policy, settings, log, finish.PUBLISH)
    course_output.give_to_owner(out)
    pending = sorted(r.student_id for r in results if any(c.get("needs_manual") for c in r.cells.values()))
    log(f"{len(results)} students; manual grades or comments of {len(people)} carried into their feedback; "
        f"{len(pending)} still await manual grading; grades: {out / 'grades.csv'}")
    return results

