"""How long nbgrader takes to autograde one correct submission, next to the parts it is made of.

Prints, from one run: the wall time of `nbgrader autograde` for the reference solution,
the time to execute the same notebook in a kernel without nbgrader, and the ratio of the
autograde time to the 15 s target.

    python benchmarks/bench_autograde.py [--repeat N]
"""
import argparse
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from autograder.course import environment, layout, synthetic_submissions  # noqa: E402
from autograder.course.scratch_course import Course  # noqa: E402

TARGET_SECONDS = 15.0


def time_autograde(course, student):
    start = time.perf_counter()
    course.autograde(student)
    return time.perf_counter() - start


def time_plain_execution(notebook_path):
    """Execute the notebook as nbgrader would (grading mode on), without nbgrader around it."""
    import os

    notebook = nbformat.read(str(notebook_path), as_version=4)
    env = environment.child_env()
    env["NBGRADER_EXECUTION"] = "autograde"
    old_env = dict(os.environ)
    os.environ.update(env)
    try:
        start = time.perf_counter()
        NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(notebook_path.parent)}}).execute()
        return time.perf_counter() - start
    finally:
        os.environ.clear()
        os.environ.update(old_env)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        course = Course.create(pathlib.Path(tmp) / "course")
        release_notebook = course.generate_assignment() / f"{layout.NOTEBOOK}.ipynb"
        synthetic_submissions.write(synthetic_submissions.build(synthetic_submissions.reference_answers(), release_notebook),
                          course.submission_path("reference"))
        autograde, plain = [], []
        for _ in range(args.repeat):  # interleaved so machine noise hits both alike
            autograde.append(time_autograde(course, "reference"))
            plain.append(time_plain_execution(course.autograded_notebook("reference")))
        grades = course.grades()["reference"]
    auto_median, plain_median = statistics.median(autograde), statistics.median(plain)
    print(f"runs: {args.repeat} (median shown; all: autograde {[f'{t:.1f}' for t in autograde]}, "
          f"kernel only {[f'{t:.1f}' for t in plain]})")
    print(f"{'nbgrader autograde, one correct submission':<48} {auto_median:6.1f} s")
    print(f"{'same notebook executed in a kernel, no nbgrader':<48} {plain_median:6.1f} s")
    print(f"{'nbgrader overhead':<48} {auto_median - plain_median:6.1f} s")
    print(f"score {grades['score']:g} / {grades['max_score']:g} (2 points await manual grading)")
    verdict = "meets" if auto_median <= TARGET_SECONDS else "misses"
    print(f"autograde / target = {auto_median:.1f} / {TARGET_SECONDS:.0f} = {auto_median / TARGET_SECONDS:.2f}: "
          f"{verdict} the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    main()
