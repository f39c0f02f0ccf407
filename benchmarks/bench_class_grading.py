"""Class grading: `python -m autograder grade --workers 2` next to plain sequential `nbgrader autograde`.

One run, same class for both, scores compared cell by cell; prints the wall times and the
speed-up (target: >= 1.7x with 2 workers on a 2-core machine).  It also prints how many
cores the sequential run kept busy on average (CPU time / wall time): multi-threaded BLAS
lets one notebook use both cores part of the time, so 2 workers have less than 2x to gain.

    python benchmarks/bench_class_grading.py [--students 8] [--workers 2]
"""
import argparse
import csv
import os
import pathlib
import resource
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from autograder.__main__ import main as autograder_main
from autograder.course import layout, synthetic_submissions
from autograder.course.scratch_course import Course
from tests.corpus import all_submissions

TARGET = 1.7


def make_class(root, release_notebook, n):
    """n submissions cycling through the reference, correct styles and mutants."""
    answers = [("reference", synthetic_submissions.reference_answers()), *all_submissions().items()]
    for i in range(n):
        name, student_answers = answers[i % len(answers)]
        synthetic_submissions.write(synthetic_submissions.build(student_answers, release_notebook),
                          root / f"s{i:03d}-{name}"[:60] / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb")
    return root


def children_cpu():
    """CPU seconds (user + system) of every finished child process and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        course = Course.create(tmp / "sequential")
        release_notebook = course.generate_assignment() / f"{layout.NOTEBOOK}.ipynb"
        class_dir = make_class(tmp / "submitted", release_notebook, args.students)
        shutil.copytree(class_dir, course.root / "submitted")

        start, cpu_start = time.perf_counter(), children_cpu()
        course.autograde()
        sequential = time.perf_counter() - start
        sequential_cores = (children_cpu() - cpu_start) / sequential
        expected = course.grades()
        start = time.perf_counter()
        course.nbgrader("generate_feedback", layout.ASSIGNMENT, "--force")
        feedback = time.perf_counter() - start

        start = time.perf_counter()
        autograder_main(["grade", layout.ASSIGNMENT, str(class_dir), "--out", str(tmp / "parallel"),
                         "--workers", str(args.workers)])
        parallel = time.perf_counter() - start
        with open(tmp / "parallel" / "grades.csv", newline="") as f:
            rows = {row["student_id"]: row for row in csv.DictReader(f)}

    mismatches = [(student, gid) for student, result in expected.items()
                  for gid, (score, _, manual) in result["cells"].items()
                  if rows[student][gid] != ("" if manual else f"{score:g}")]
    print(f"\n{args.students} submissions")
    each = sequential / args.students
    print(f"{'plain nbgrader autograde, sequential':<44} {sequential:7.1f} s  ({each:.1f} s each)")
    print(f"{f'python -m autograder grade --workers {args.workers}':<44} {parallel:7.1f} s  "
          f"({parallel / args.students:.1f} s each, isolated)")
    with_feedback = sequential + feedback
    print(f"{'  + nbgrader generate_feedback (same output)':<44} {with_feedback:7.1f} s  "
          f"(grade is {with_feedback / parallel:.2f}x faster than both)")
    print(f"the sequential run kept {sequential_cores:.2f} cores busy on average (multi-threaded BLAS); "
          f"load average before: {load_before}")
    print(f"speed-up {sequential / parallel:.2f}x (target >= {TARGET}x): "
          f"{'MET' if sequential / parallel >= TARGET else 'NOT MET'}")
    print("scores identical" if not mismatches else f"SCORES DIFFER: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
