"""Grade a whole class: intake -> isolated parallel grading -> gradebook, CSV, feedback, report.

Stages, each in its own module:
  intake.discover      validate and stage every submission (bad input becomes a row)
  sandbox.grade_one    grade one submission in its own temporary course, student code unprivileged
  gradebook            the coordinator alone writes results into the nbgrader gradebook
  report               grades.csv and the class report

Results are saved one file per student as they arrive (results/<student>.json), so an
interrupted run loses nothing and a rerun grades only what is new or changed.
"""
import concurrent.futures
import dataclasses
import json
import os
import pathlib
import queue
import shutil
import tempfile
import threading
import time

from . import gradebook, intake, nbgrader_run, paths, report, sandbox, worker
from .course import Course


@dataclasses.dataclass
class Options:
    assignment: str
    submissions: pathlib.Path
    out: pathlib.Path
    workers: int = os.cpu_count() or 1
    scheduler: str | None = None
    db_url: str | None = None
    force: bool = False
    pattern: str = intake.DEFAULT_PATTERN
    limits: sandbox.Limits = dataclasses.field(default_factory=sandbox.Limits)


def _write_json(path, data):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def _row_for_problem(submission, max_score):
    """A result for a submission that could not be graded at all."""
    return {"student_id": submission.student_id, "status": submission.status, "detail": submission.detail,
            "score": 0.0, "max_score": max_score, "cells": {}, "seconds": 0.0, "digest": submission.digest}


class ResultStore:
    """results/<student>.json, feedback/<student>.html: written as results arrive."""

    def __init__(self, out):
        self.results_dir = out / "results"
        self.feedback_dir = out / "feedback"
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.feedback_dir.mkdir(parents=True, exist_ok=True)

    def path(self, student_id):
        return self.results_dir / f"{student_id}.json"

    def load(self, student_id):
        try:
            return json.loads(self.path(student_id).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def is_current(self, submission):
        """Already graded from identical bytes (a newer or changed submission is regraded)."""
        previous = self.load(submission.student_id)
        return bool(previous) and previous.get("digest") == submission.digest \
            and previous.get("status") in sandbox.SCORED_STATUSES

    def save(self, result):
        feedback = result.pop("feedback_html", "")
        result.pop("autograded_notebook", None)
        if feedback:
            (self.feedback_dir / f"{result['student_id']}.html").write_text(feedback)
        _write_json(self.path(result["student_id"]), result)
        return result

    def all(self):
        return [json.loads(p.read_text()) for p in sorted(self.results_dir.glob("*.json"))]


_dask_worker_process = None
_dask_worker_lock = threading.Lock()


def _grade_on_dask_worker(student_id, notebook, setup):
    """Dask task: graded by a grading worker owned by this Dask worker; the slot follows the Dask worker."""
    import zlib

    from distributed import get_worker

    global _dask_worker_process
    name = str(get_worker().name)
    slot = int(name) if name.isdigit() else zlib.crc32(get_worker().address.encode()) % 1000
    with _dask_worker_lock:
        if _dask_worker_process is None:
            _dask_worker_process = worker.WorkerProcess()
        return _dask_worker_process.grade(student_id, notebook, slot, **setup)


class LocalPool:
    """One grading worker process per slot, each driven by a thread; slots are never shared."""

    def __init__(self, workers):
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
        self.idle = queue.Queue()
        self.processes = [worker.WorkerProcess().start() for _ in range(workers)]  # imports overlap setup
        for slot, process in enumerate(self.processes):
            self.idle.put((slot, process))

    def _run(self, student_id, notebook, setup):
        slot, process = self.idle.get()
        try:
            return process.grade(student_id, notebook, slot, **setup)
        finally:
            self.idle.put((slot, process))

    def submit(self, student_id, notebook, setup):
        return self.executor.submit(self._run, student_id, notebook, setup)

    def close(self):
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in self.processes:
            process.close()


class DaskPool:
    def __init__(self, address):
        from distributed import Client

        self.client = Client(address, timeout="30s")

    def submit(self, student_id, notebook, setup):
        return self.client.submit(_grade_on_dask_worker, student_id, notebook, setup,
                                  key=f"grade-{student_id}-{time.time_ns()}", pure=False)

    def as_completed(self, futures):
        from distributed import as_completed
        return as_completed(futures)

    def close(self):
        self.client.close()


def _build_template(root):
    """The course every submission is graded in (copied per submission): source/ and a gradebook."""
    template = Course.create(root)
    gradebook.create_stamped_sqlite(template.root / "gradebook.db")
    log_path = root.parent / "template.log"
    code = nbgrader_run.run(["generate_assignment", paths.ASSIGNMENT, "--force"], template.root,
                            paths.child_env(), log_path, timeout=600)
    if code != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed (exit {code}) for the grading template:\n"
                           f"{log_path.read_text(errors='replace')}")
    return template


def _start_zygote(options, work, threads, data_dir):
    """The kernel zygote all local workers fork their kernels from (root only: kernels run as sandbox users)."""
    if options.scheduler or os.geteuid() != 0 or os.environ.get("TASK41_NO_ZYGOTE"):
        return None
    from . import kernel_zygote

    folder = work / "zygote"
    folder.mkdir(mode=0o700)  # root's: kernels must not reach the socket
    return kernel_zygote.Zygote(folder / "zygote.sock", threads, data_dir)


def _private_paths(options):
    """Folders a student's kernel must not see: everyone's submissions (a zip's folder) and the grades."""
    submissions = options.submissions.resolve()
    return [str(submissions if submissions.is_dir() else submissions.parent), str(options.out.resolve())]


def _decompressed_mnist(destination, log):
    """MNIST decompressed once for the whole class (each kernel then skips ~0.5 s of gunzip); None if unavailable."""
    loader = paths.course_mnist_loader()
    try:
        return str(loader.decompress_to(destination, data_dir=paths.child_env().get("MNIST_DIR") or paths.REPO / "data"))
    except loader.MNISTError as exc:
        log(f"warning: kernels will look for MNIST themselves: {exc}")
        return None


def _progress(total):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="grading", unit="submission", smoothing=0.1)


def run(options, log=print):
    """Grade every submission; return the list of per-student results."""
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out)
    db_url = options.db_url or f"sqlite:///{out / 'gradebook.db'}"
    work = pathlib.Path(tempfile.mkdtemp(prefix="task41-grading-"))
    os.chmod(work, 0o711)  # sandboxed kernels traverse into their own course only
    started = time.monotonic()
    pool = zygote = None
    try:
        # several kernels share the cores: one BLAS thread each avoids oversubscription
        threads = 1 if options.scheduler or options.workers > 1 else None
        data_dir = _decompressed_mnist(work / "mnist", log)
        # workers and the kernel zygote start next: their imports overlap the template build and the intake
        zygote = _start_zygote(options, work, threads, data_dir)
        pool = DaskPool(options.scheduler) if options.scheduler else LocalPool(max(1, options.workers))
        template = _build_template(work / "template")
        cells_order = gradebook.cells_order(template)
        max_score = sum(points for _, points in cells_order)
        default_db = out / "gradebook.db"
        if options.db_url is None and not default_db.exists():
            shutil.copy(template.root / "gradebook.db", default_db)  # already holds the assignment
        gradebook.ensure_assignment(db_url, template)

        staged = intake.discover(options.submissions, options.assignment, paths.NOTEBOOK, work / "staged",
                                 pattern=options.pattern)
        todo = []
        for submission in staged:
            if submission.status != "ok":
                store.save(_row_for_problem(submission, max_score))
            elif options.force or not store.is_current(submission):
                todo.append(submission)
        log(f"{len(staged)} students: {len(todo)} to grade, "
            f"{sum(s.status == 'ok' for s in staged) - len(todo)} already graded, "
            f"{sum(s.status != 'ok' for s in staged)} with problems")

        setup_done = time.monotonic()
        zygote_socket = None
        if zygote is not None and todo:
            if zygote.wait_ready():
                zygote_socket = zygote.socket_path
            else:
                log("warning: the kernel zygote did not start; kernels start the usual way (slower)")
        _grade(options, pool, template.root, threads, data_dir, zygote_socket, todo, store, db_url, cells_order)
        pool.close()
        grading_done = time.monotonic()
        results = [r for r in store.all() if r["student_id"] in {s.student_id for s in staged}]
        report.write_grades_csv(results, cells_order, out / "grades.csv")
        report.write_class_report(results, cells_order, out)
        log(f"took {time.monotonic() - started:.1f} s: setup {setup_done - started:.1f} s, "
            f"grading {grading_done - setup_done:.1f} s, report {time.monotonic() - grading_done:.1f} s")
        return results
    finally:  # also when interrupted: stop the workers at once, what was saved stays
        if pool is not None:
            pool.close()
        if zygote is not None:
            zygote.close()
        shutil.rmtree(work, ignore_errors=True)


def _grade(options, pool, template_root, threads, data_dir, zygote, todo, store, db_url, cells_order):
    if not todo:
        return
    setup = {"template": str(template_root), "limits": options.limits, "data_dir": data_dir,
             "threads": threads, "hide": _private_paths(options), "zygote": zygote}
    futures = {pool.submit(s.student_id, str(s.notebook), setup): s
               for s in todo}
    # the report is drawn once grading is over, when only this process works: have matplotlib ready
    threading.Thread(target=report.warm_up, name="report-warm-up", daemon=True).start()
    completed = pool.as_completed(futures) if isinstance(pool, DaskPool) \
        else concurrent.futures.as_completed(futures)
    with _progress(len(todo)) as bar:
        for future in completed:
            submission = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a broken worker must not stop the class
                result = {"student_id": submission.student_id, "status": "error",
                          "detail": f"grading failed: {type(exc).__name__}: {exc}", "score": 0.0,
                          "max_score": sum(p for _, p in cells_order), "cells": {}, "seconds": 0.0}
            result["digest"] = submission.digest
            result["origin"] = submission.origin
            if submission.detail:
                result["detail"] = "; ".join(filter(None, [submission.detail, result.get("detail")]))
            store.save(result)
            if result["status"] in sandbox.SCORED_STATUSES:
                gradebook.record(db_url, options.assignment, result)
            bar.set_postfix_str(f"{submission.student_id}: {result['score']:g}/{result['max_score']:g}")
            bar.update()
