"""Grading speed: one submission, a class on this machine, and a model of larger machines.

One command, one run, every figure measured side by side:

1. one correct submission with plain `nbgrader autograde` (the CLI an instructor types, in a
   scratch course), median of --repeat runs, next to the same notebook executed in a kernel
   without nbgrader; target <= 8 s;
2. the CPU-seconds one correct submission costs through `python -m autograder grade`: the
   machine's busy CPU time (/proc/stat) for a class of 2 + K copies minus that for a class of 2,
   divided by K (setup and report cancel out); target <= 4;
3. a class of --students (references, correct styles and mutants, as `bench_class_grading`
   builds it) graded with 1 worker and with 2, --pairs times interleaved: the median speed-up
   (no target: one worker already uses both cores for numpy, so class scaling is judged on a
   16-core machine, and the model below) and identical scores; before each pair, how much two compute-bound processes
   slow each other on this machine (a virtual machine's cores may share a physical one), which
   bounds what two workers can reach;
4. a model of larger machines fed by the figures above: per-submission times of the 1-worker
   run (one worker, BLAS on every core) and of the 2-worker run (one BLAS thread per kernel, what
   every larger run uses), the coordinator's cost per submission, setup and report; beyond 2
   workers each added worker slows every submission by CONTENTION (shared memory bandwidth and
   caches: 6.2 s alone, 7.8 s with 16 at once on a 16-core machine, see benchmarks/README.md; a
   2-core machine cannot measure it).  It prints the class time for 1, 4, 8 and 16 workers on
   classes of 32 and 256 and what bounds each.

    MNIST_DIR=... .venv/bin/python benchmarks/bench_grading_speed.py \
        [--repeat 3] [--students 16] [--copies 6] [--pairs 2]

Needs root (the grade command runs kernels as sandbox users) and a quiet machine.
"""
import argparse
import csv
import datetime
import heapq
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from bench_class_grading import make_class  # noqa: E402 - after sys.path has benchmarks/

from autograder.course import environment, layout, synthetic_submissions  # noqa: E402 - after sys.path
from autograder.course.scratch_course import Course  # noqa: E402 - after sys.path has the repository

TARGET_SECONDS = 8.0
TARGET_CPU_SECONDS = 4.0
MODEL_WORKERS = (1, 4, 8, 16)
MODEL_CLASSES = (32, 256)
CONTENTION = (7.8 / 6.2 - 1) / 15  # per worker added beyond the second


def busy_cpu_seconds():
    """CPU time the whole machine spent not idle since boot (all cores, /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def plain_autograde(course, student):
    """`nbgrader autograde` as a fresh CLI process (what an instructor runs); seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", layout.ASSIGNMENT, f"--student={student}",
                    "--force"], cwd=course.root, env=environment.child_env(layout.TASK), check=True,
                   capture_output=True)
    return time.perf_counter() - start


def time_plain_execution(notebook_path):
    """Execute the notebook as nbgrader would (grading mode on), without nbgrader around it."""
    notebook = nbformat.read(str(notebook_path), as_version=4)
    env = environment.child_env(layout.TASK)
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


def one_submission(tmp, repeat):
    course = Course.create(tmp / "course")
    release_notebook = course.generate_assignment() / f"{layout.NOTEBOOK}.ipynb"
    reference = synthetic_submissions.build(synthetic_submissions.reference_answers(), release_notebook)
    synthetic_submissions.write(reference, course.submission_path("reference"))
    autograde, plain = [], []
    for _ in range(repeat):  # interleaved so machine noise hits both alike
        autograde.append(plain_autograde(course, "reference"))
        plain.append(time_plain_execution(course.autograded_notebook("reference")))
    score = course.grades()["reference"]["score"]
    return autograde, plain, score


GRADE_LOG = re.compile(r"took ([\d.]+) s: setup ([\d.]+) s, grading ([\d.]+) s, report ([\d.]+) s; "
                       r"coordinator ([\d.]+) s")


def grade(class_dir, out, workers):
    """`python -m autograder grade` in a fresh process: (wall s, busy CPU s, its timing line, rows)."""
    cpu, start = busy_cpu_seconds(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", layout.ASSIGNMENT, str(class_dir),
                           "--out", str(out), "--workers", str(workers)], env=environment.child_env(layout.TASK),
                          cwd=layout.REPO, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, busy_cpu_seconds() - cpu
    if done.returncode != 0:
        sys.exit(f"grade failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    timing = GRADE_LOG.search(done.stdout)
    if not timing:
        sys.exit(f"no timing line in the grade output:\n{done.stdout}")
    with open(out / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    return wall, cpu, dict(zip(("total", "setup", "grading", "report", "coordinator"),
                               map(float, timing.groups()), strict=True)), rows


# a fixed single-threaded numpy workload, about 1 s; prints its seconds
PROBE = """
import time
import numpy as np
rng = np.random.default_rng(0)
x, w = rng.random((32, 784)), rng.random((784, 256))
start = time.perf_counter()
for _ in range(1500):
    x.T @ (x @ w)
print(time.perf_counter() - start)
"""


def probe(copies):
    """Seconds of PROBE in each of ``copies`` processes run at once."""
    env = {**environment.child_env(layout.TASK), **environment.blas_thread_env(1)}
    processes = [subprocess.Popen([sys.executable, "-c", PROBE], env=env, stdout=subprocess.PIPE, text=True)
                 for _ in range(copies)]
    return [float(process.communicate()[0]) for process in processes]


def machine_speed():
    """(seconds of PROBE alone, how much slower it runs while another copy runs on the other core).

    The first tells a slow moment of a virtual machine from a slower grader; the second (1.0: not
    at all) bounds what any two workers can reach: the two cores of a VM can share a physical core
    or its power budget.  Both drift from minute to minute.
    """
    alone = statistics.median(probe(1)[0] for _ in range(2))
    return alone, statistics.mean(probe(2)) / alone


def copies_of_reference(root, release_notebook, n):
    notebook = synthetic_submissions.build(synthetic_submissions.reference_answers(), release_notebook)
    for i in range(n):
        synthetic_submissions.write(notebook, root / f"ref{i:03d}" / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb")
    return root


def submission_seconds(out):
    return [json.loads(p.read_text())["seconds"] for p in sorted((out / "results").glob("*.json"))]


# ---------------------------------------------------------------- the model

def makespan(durations, workers):
    """Longest-first list scheduling (what the grade command does) of ``durations`` on ``workers``."""
    finish = [0.0] * workers
    for seconds in sorted(durations, reverse=True):
        heapq.heapreplace(finish, finish[0] + seconds)
    return max(finish)


def model(alone, together, setup, report_per_student, coordinator_per_student, students, workers):
    """(class time, parallel part, coordinator part): setup + the grading + report.

    The grading takes the longer of the workers' makespan and the coordinator's work (it records
    and saves one result at a time).  ``alone``: per-submission seconds with one worker;
    ``together``: with two, each worker beyond them adding CONTENTION.
    """
    base = alone if workers == 1 else [t * (1 + CONTENTION * (workers - 2)) for t in together]
    scaled = [base[i % len(base)] for i in range(students)]
    parallel = makespan(scaled, workers)
    coordinator = coordinator_per_student * students
    return setup + max(parallel, coordinator) + report_per_student * students, parallel, coordinator


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of plain nbgrader autograde (median)")
    parser.add_argument("--students", type=int, default=16, help="class size for the 1- vs 2-worker run")
    parser.add_argument("--copies", type=int, default=6, help="K, for the CPU-seconds of one submission")
    parser.add_argument("--pairs", type=int, default=2, help="pairs of 1- and 2-worker runs of the class")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the grade command runs kernels as sandbox users")
    alone, slowdown = machine_speed()
    print(f"{datetime.date.today()}  {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; machine speed: a fixed numpy probe takes "
          f"{alone:.2f} s on one core, {slowdown:.2f}x that with a second copy on the other core\n")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        autograde, plain, score = one_submission(tmp, args.repeat)
        release_notebook = tmp / "course" / "release" / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb"
        auto_median = statistics.median(autograde)
        print("1. one correct submission, plain `nbgrader autograde` (median of "
              f"{args.repeat}: {', '.join(f'{t:.1f}' for t in autograde)} s)")
        print(f"   {'nbgrader autograde':<44} {auto_median:6.1f} s   score {score:g}/25 (2 await a person)")
        print(f"   {'same notebook in a kernel, no nbgrader':<44} {statistics.median(plain):6.1f} s")
        print(f"   target <= {TARGET_SECONDS:g} s: {'MET' if auto_median <= TARGET_SECONDS else 'NOT MET'}\n")

        small = copies_of_reference(tmp / "two", release_notebook, 2)
        large = copies_of_reference(tmp / "more", release_notebook, 2 + args.copies)
        wall_small, cpu_small, _, _ = grade(small, tmp / "out-two", 2)
        wall_large, cpu_large, _, _ = grade(large, tmp / "out-more", 2)
        cpu_each = (cpu_large - cpu_small) / args.copies
        print(f"2. one correct submission through `grade --workers 2`: classes of 2 and {2 + args.copies} "
              f"copies of the reference")
        print(f"   {'busy CPU of the machine':<44} {cpu_small:6.1f} and {cpu_large:.1f} CPU-s "
              f"(wall {wall_small:.1f} and {wall_large:.1f} s)")
        print(f"   {'CPU-seconds per submission':<44} {cpu_each:6.2f} CPU-s   target <= {TARGET_CPU_SECONDS:g}: "
              f"{'MET' if cpu_each <= TARGET_CPU_SECONDS else 'NOT MET'}\n")

        class_dir = make_class(tmp / "class", release_notebook, args.students)
        print(f"3. a class of {args.students} (references, correct styles, mutants), {args.pairs} pairs of runs "
              "(1 worker, then 2)")
        pairs, differ, slowdowns = [], [], []
        for pair in range(args.pairs):  # interleaved: a drift of the machine's speed hits both sides of a pair
            alone, slowdown = machine_speed()
            slowdowns.append(slowdown)
            print(f"   {'cores slowing each other (see below)':<44} {slowdown:6.2f}x  (probe alone {alone:.2f} s)")
            runs = {w: grade(class_dir, tmp / f"out-{pair}-{w}", w) for w in (1, 2)}
            one, two = runs[1], runs[2]
            pairs.append(runs)
            differ += [s for s in one[3] if {k: v for k, v in one[3][s].items() if k != "seconds"}
                       != {k: v for k, v in two[3][s].items() if k != "seconds"}]
            for w, (wall, cpu, timing, _) in runs.items():
                print(f"   {f'grade --workers {w}':<44} {wall:6.1f} s  (setup {timing['setup']:.1f}, grading "
                      f"{timing['grading']:.1f}, report {timing['report']:.1f}; coordinator "
                      f"{timing['coordinator']:.2f} s in all; {cpu:.0f} CPU-s)")
            print(f"   {'speed-up of this pair':<44} {one[0] / two[0]:6.2f}x")
        speedup = statistics.median(runs[1][0] / runs[2][0] for runs in pairs)
        print(f"   speed-up {speedup:.2f}x, median of the pairs (no target on 2 cores); "
              f"{'scores identical' if not differ else f'SCORES DIFFER: {sorted(set(differ))}'}")
        print(f"   a compute-bound process ran {statistics.median(slowdowns):.2f}x slower with another one on the "
              "other core (median of the pairs): two workers can reach about 2 / that\n")
        one, two = pairs[-1][1], pairs[-1][2]
        alone = submission_seconds(tmp / f"out-{args.pairs - 1}-1")
        together = submission_seconds(tmp / f"out-{args.pairs - 1}-2")
        setup = statistics.mean([one[2]["setup"], two[2]["setup"]])
        report_each = statistics.mean([one[2]["report"], two[2]["report"]]) / args.students
        coordinator_each = max(one[2]["coordinator"], two[2]["coordinator"]) / args.students
    print("4. model of a machine with at least as many cores as workers, fed by the figures above:")
    print(f"   per submission {statistics.mean(alone):.1f} s mean with 1 worker (longest {max(alone):.1f}), "
          f"{statistics.mean(together):.1f} s with 2 (longest {max(together):.1f}); coordinator "
          f"{coordinator_each * 1000:.0f} ms and report {report_each * 1000:.0f} ms per submission; "
          f"setup {setup:.1f} s; "
          f"contention {CONTENTION:.1%} per worker beyond 2")
    print(f"   {'students':>8} {'workers':>8} {'class s':>9} {'speed-up':>9} {'efficiency':>11}  bound by")
    for students in MODEL_CLASSES:
        base = model(alone, together, setup, report_each, coordinator_each, students, 1)[0]
        for workers in MODEL_WORKERS:
            total, parallel, coordinator = model(alone, together, setup, report_each, coordinator_each, students,
                                                 workers)
            bound = "coordinator" if coordinator > parallel else \
                "setup" if setup > parallel else "the longest submissions" if students / workers < 3 else "workers"
            print(f"   {students:>8} {workers:>8} {total:>9.1f} {base / total:>8.2f}x {base / total / workers:>10.0%}  "
                  f"{bound}")
    met = {"plain autograde <= 8 s": auto_median <= TARGET_SECONDS, "<= 4 CPU-s": cpu_each <= TARGET_CPU_SECONDS}
    print("\nsummary: " + "; ".join(f"{what} {'MET' if ok else 'NOT MET'}" for what, ok in met.items()))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
