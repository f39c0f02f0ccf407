"""The main job on embedded defaults: release the assignment, grade two submissions, print grades.

Students: ``reference-solution`` (the release notebook filled in with the
solution's answers) and ``blank-student`` (the release notebook untouched).
"""
import time

from autograder.course import layout, synthetic_submissions
from autograder.course.scratch_course import Course
from autograder.grading import preflight

DEFAULT_DIR = layout.DEMO_DIR


def format_table(grades, seconds):
    """One line per student: points, points still to be graded by hand, time, failed tests."""
    lines = [f"{'student':<20} {'score':>11} {'to grade by hand':>17} {'time':>7}  failed tests"]
    for student in sorted(grades):
        cells = grades[student]["cells"]
        pending = sum(max_score for _, max_score, needs_manual in cells.values() if needs_manual)
        failed = [gid for gid, (score, max_score, needs_manual) in cells.items()
                  if not needs_manual and (score or 0) < max_score]
        score = f"{grades[student]['score']:g} / {grades[student]['max_score']:g}"
        if len(failed) > 3:
            failed = [f"{len(failed)} of {len(cells)} graded cells"]
        lines.append(f"{student:<20} {score:>11} {f'{pending:g} pts':>17} {seconds[student]:>6.1f}s  "
                     f"{', '.join(failed) or '-'}")
    return "\n".join(lines)


def run(out_dir=DEFAULT_DIR, log=print):
    """Raises preflight.PreflightFailed, before anything is graded, when the data or nbgrader is not right."""
    problem = preflight.check_nbgrader()
    if problem:
        raise preflight.PreflightFailed([("nbgrader", problem)])
    preflight.verify_data(layout.TASK)
    log(f"course directory: {out_dir}")
    course = Course.create(out_dir)
    log(f"1. nbgrader generate_assignment {layout.ASSIGNMENT}: student version -> {course.generate_assignment()}")
    release_notebook = course.root / "release" / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb"
    students = {
        "reference-solution": synthetic_submissions.build(synthetic_submissions.reference_answers(), release_notebook),
        "blank-student": synthetic_submissions.build({}, release_notebook),
    }
    seconds = {}
    for step, (student, notebook) in enumerate(students.items(), start=2):
        synthetic_submissions.write(notebook, course.submission_path(student))
        start = time.perf_counter()
        course.autograde(student)
        seconds[student] = time.perf_counter() - start
        log(f"{step}. nbgrader autograde {layout.ASSIGNMENT} --student={student}: {seconds[student]:.1f} s")
    grades = course.grades()
    log("")
    log(format_table(grades, seconds))
    log("\n'manual' points await a person: nbgrader formgrader (see docs/instructor.md).")
    log(f"autograded notebooks: {course.root / 'autograded'}")
    return grades, seconds
