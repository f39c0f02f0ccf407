"""A burst before the deadline: N submissions arrive in the exchange within a minute; the hub's grading
service (autograder/preliminary/service.py, with the real sandboxed grader) grades them all. Prints the time
from the first arrival to the last feedback page, the median and 95th-percentile wait (arrival to page),
the CPU seconds per submission, and what that projects for 500 students on one 16-core machine and on a
Dask cluster. Root (sandboxed kernels, as on the hub).

    MNIST_DIR=... .venv/bin/python benchmarks/bench_preliminary_burst.py [--students 200] [--seconds 60] [--workers 2]
"""
import argparse
import datetime
import os
import pathlib
import secrets
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_class_grading import make_class

from autograder.course import environment, layout
from autograder.grading.session import GradingSession
from autograder.late_work import LatePolicy
from autograder.limits import Limits
from autograder.preliminary import inbox, service
from autograder.preliminary.policy import PreliminaryFeedback


def busy_cpu_seconds():
    """CPU seconds every core spent busy since boot (/proc/stat): the grading's processes include kernels the
    zygote forks and reaps itself, which no rusage of this process sees. Run it on an otherwise idle machine."""
    fields = [int(x) for x in pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def arrive(exchange, notebooks, seconds):
    """Each notebook as a submission folder, spread evenly over ``seconds``."""
    start = time.monotonic()
    for index, (student, notebook) in enumerate(notebooks):
        time.sleep(max(0.0, start + seconds * index / len(notebooks) - time.monotonic()))
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        staging = exchange / f".{student}"
        staging.mkdir()
        (staging / layout.TASK.notebook).write_bytes(notebook.read_bytes())
        (staging / "timestamp.txt").write_text(stamp)
        (staging / inbox.SECRET).write_text(secrets.token_hex(32))
        staging.rename(exchange / "inbound" / f"{student}+{layout.ASSIGNMENT}+{stamp}+{secrets.token_hex(4)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0, help="the burst's length")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("MNIST_DIR", str(environment.data_dir()))
    with tempfile.TemporaryDirectory(prefix="burst-") as tmp:
        tmp = pathlib.Path(tmp)
        os.chmod(tmp, 0o711)
        class_dir = make_class(tmp / "class", layout.RELEASE_NOTEBOOK, args.students)
        notebooks = [(folder.name.replace("+", "-"), folder / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb")
                     for folder in sorted(class_dir.iterdir())]
        exchange = tmp / "exchange" / layout.COURSE_ID
        for sub in ("inbound", "feedback"):
            (exchange / sub).mkdir(parents=True)
        work = tmp / "work"
        work.mkdir(mode=0o711)
        setup = time.monotonic()
        session = GradingSession(layout.TASK, work, args.workers, Limits(), hide=[exchange.parent, tmp / "state"])
        setup = time.monotonic() - setup
        settings = PreliminaryFeedback(max_graded=10**6)
        run = service.Service(layout.TASK, exchange, tmp / "state", session, settings, LatePolicy(), args.workers,
                              log=lambda line: None, owner_of=lambda folder: pathlib.Path(folder).name.split("+")[0])
        cpu_before, started = busy_cpu_seconds(), time.monotonic()
        sender = threading.Thread(target=arrive, args=(exchange, notebooks, args.seconds))
        sender.start()
        try:
            while sender.is_alive() or not run.idle() or len(run.ledger.all()) < len(notebooks):
                run.step()
                time.sleep(0.5)
        finally:
            session.close()
        cpu = busy_cpu_seconds() - cpu_before
        rows = run.ledger.all()
    waits = sorted((r.finished - r.received).total_seconds() for r in rows if r.finished)
    states = {state: sum(r.state == state for r in rows) for state in {r.state for r in rows}}
    first = min(r.received for r in rows)
    last = max(r.finished for r in rows if r.finished)
    span = (last - first).total_seconds()
    per_submission = cpu / len(rows)
    print(f"{len(rows)} submissions within {args.seconds:g} s, {args.workers} workers on {os.cpu_count()} cores "
          f"(setup before the first: {setup:.0f} s); states: {states}")
    print(f"first arrival to last feedback: {span:.0f} s ({time.monotonic() - started:.0f} s of this run)")
    print(f"wait, arrival to feedback page: median {statistics.median(waits):.0f} s, "
          f"95th percentile {service.percentile(waits, 0.95):.0f} s, longest {waits[-1]:.0f} s")
    print(f"CPU per submission: {per_submission:.2f} s, the machine's busy time over the run (the corpus's mix: "
          "reference, styles, mutants); load average now: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    for cores, what in ((16, "one 16-core machine (16 workers)"), (64, "a Dask cluster of 64 worker cores")):
        drain = 500 * per_submission / cores
        print(f"projection, 500 students within a minute on {what}: the last page about {drain / 60:.1f} min "
              f"after the first arrival (CPU-bound: 500 x {per_submission:.2f} CPU-s / {cores} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
