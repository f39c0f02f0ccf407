"""Grade a whole class: intake -> isolated parallel grading -> gradebook, CSV, feedback, report.

Stages, each in its own module:
  intake.discover      validate and stage every submission (bad input becomes a row)
  schedule             hand them to workers expected-longest first
  local_pool/dask_pool grading workers on this machine or on a Dask cluster (one interface)
  grade_one            grade one submission in its own temporary course, student code unprivileged
  gradebook            the coordinator alone writes results into the nbgrader gradebook
  class_output         results/ and feedback/ as they arrive
  finish               then manual scores, late penalties, grades.csv, the report, LMS files (publish's too)

_run is those steps in order, each a function of the ClassRun they share.

Results are saved one file per student as they arrive (results/<student>.json), so an
interrupted run loses nothing and a rerun grades only what is new or changed.

Faults of the grading machine are never scores: ``preflight`` refuses to start on a machine
that cannot grade (before anything is written), and a fault found mid-run (a worker that
died or lacks the data, a gradebook that cannot be written) makes the row ``grader-error``:
no total, not in the gradebook, regraded by the next run.
"""
import contextlib
import dataclasses
import logging
import os
import pathlib
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from autograder import late_work
from autograder.assignment import Assignment
from autograder.course import gradebook_reader, layout
from autograder.grading import (
    class_output,
    course_output,
    finish,
    gradebook,
    intake,
    lms_output,
    preflight,
    schedule,
    session,
)
from autograder.grading.job import JobSpec
from autograder.grading.local_pool import LocalPool
from autograder.limits import Limits
from autograder.lms import detect, exports, rosters
from autograder.report import class_report
from autograder.result import Result, Status


@dataclasses.dataclass
class Options:
    submissions: pathlib.Path
    out: pathlib.Path
    task: Assignment                   # what is graded (autograder/assignment.py)
    workers: int = os.cpu_count() or 1
    scheduler: str | None = None
    db_url: str | None = None
    force: bool = False
    pattern: str = intake.DEFAULT_PATTERN
    limits: Limits = dataclasses.field(default_factory=Limits)
    isolation: str = "auto"            # "sandbox": refuse to start without sandbox users and namespaces
    roster: pathlib.Path | None = None  # the class list: the course roster or the LMS's own export
    source: str = "auto"               # the layout of SUBMISSIONS: auto, nbgrader, canvas, moodle, pattern
    lms_assignment: str | None = None  # which column of a Canvas gradebook export is this assignment
    verbose: bool = False              # library warnings and one line per graded submission
    # (student id, notebook SHA-256) -> the Result already given to those exact bytes, or None: the hub's
    # preliminary feedback (grade --preliminary); such a submission is recorded, not graded again
    graded_before: Callable[[str, str], Result | None] | None = None


def _private_paths(options):
    """Folders a student's kernel must not see: everyone's submissions (a zip's folder) and the grades."""
    submissions = options.submissions.resolve()
    return [str(submissions if submissions.is_dir() else submissions.parent), str(options.out.resolve())]


def _progress(total):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="grading", unit="submission", smoothing=0.1)


@contextlib.contextmanager
def library_output(verbose):
    """Normal output is ours alone; --verbose adds library warnings and logs.

    nbgrader's gradebook code triggers SQLAlchemy warnings on every record, and logs a
    traceback (tornado's logger) for every database error it then raises to us.
    """
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
        yield
        return
    logger = logging.getLogger("tornado.application")
    saved = logger.handlers, logger.propagate
    logger.handlers, logger.propagate = [logging.NullHandler()], False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.handlers, logger.propagate = saved


def run(options, log=print):
    """Grade every submission; return the list of per-student results.

    Raises preflight.PreflightFailed (nothing written) when this machine cannot grade, and
    OutputFull when the output folder fills up (what was saved stays).
    """
    with library_output(options.verbose):
        return _run(options, log)


@dataclasses.dataclass
class ClassRun:
    """What the steps of one class run share; each step fills in its part, in _run's order."""

    options: Options
    log: Callable[[str], object]
    out: pathlib.Path                  # --out, resolved
    db_url: str                        # the class gradebook: --db, else the SQLite one in --out
    work: pathlib.Path                 # this run's temporary folder: staged copies, data, template, zygote
    started: float
    pool: Any = None                   # local workers, or the Dask cluster's (same interface)
    zygote: Any = None                 # the kernel zygote, when root grades locally
    policy: Any = None                 # late_work.LatePolicy, with the roster's extensions
    roster: Any = None                 # the class list of --roster, read once
    data_dir: pathlib.Path | None = None  # the assignment's data, decompressed once for the class
    source_layout: str = ""            # the layout intake found SUBMISSIONS in
    staged: list = dataclasses.field(default_factory=list)   # every submission, problem rows included
    template: Any = None               # the course every submission is graded in
    cells_order: list = dataclasses.field(default_factory=list)
    max_score: float = 0.0
    store: Any = None                  # class_output.ResultStore
    lms_settings: dict | None = None
    todo: list = dataclasses.field(default_factory=list)     # what to grade, in the order it is handed out
    previous: dict = dataclasses.field(default_factory=dict)  # each student's saved result, if any
    zygote_socket: str | None = None   # where kernels are asked for: None when no zygote is ready
    setup_done: float = 0.0
    grading_done: float = 0.0
    coordinator: float = 0.0           # seconds spent recording and saving results while workers graded
    reused: int = 0                    # results taken from graded_before: the same notebook, not graded again

    @property
    def task(self):
        return self.options.task

    @property
    def threads(self):
        # kernels share the machine with each other and with other work: one BLAS thread each (limits.py)
        return self.options.limits.kernel_blas_threads


def _run(options, log):
    run = _begin(options, log)
    try:
        _start_local_pool(run)  # first: the workers' imports overlap the checks and the setup
        # then what can refuse to start: nothing is written to --out before these pass
        _read_policy(run)
        _prepare_data(run)
        _intake(run)
        preflight.run(run.out, options.db_url, len(run.staged), options.isolation)
        _start_grading(run)
        _make_template(run)
        _prepare_output(run)
        _choose_todo(run)
        _log_intake(run)
        run.setup_done = time.monotonic()
        _wait_for_zygote(run)
        run.todo = schedule.longest_first(run.todo, run.previous.get, run.task.release_notebook(run.template.root))
        run.coordinator = _grade(run)
        run.pool.close()
        run.grading_done = time.monotonic()
        results = _finish(run)
        _log_times(run)
        return results
    finally:  # also when interrupted: stop the workers at once, what was saved stays
        _clean_up(run)


def _begin(options, log):
    """The run's context: where it writes, its gradebook, and a temporary folder of its own."""
    out = options.out.resolve()
    db_url = options.db_url or layout.sqlite_url(out)
    work = pathlib.Path(tempfile.mkdtemp(prefix="task41-grading-"))
    os.chmod(work, 0o711)  # sandboxed kernels traverse into their own course only
    return ClassRun(options, log, out, db_url, work, started=time.monotonic())


def _start_local_pool(run):
    """Local workers (none with --scheduler), warmed up with the released notebook when there is one."""
    options = run.options
    released = run.task.release_notebook(run.task.folder.parents[1])  # beside source/ in its course, if generated
    run.pool = None if options.scheduler else LocalPool(max(1, options.workers),
                                                        released if released.is_file() else None)


def _read_policy(run):
    """The late-work policy and the roster; a bad due date stops here."""
    run.policy = late_work.load_policy(course_output.policy_config(run.out))
    run.roster = rosters.read(run.options.roster, run.policy.timezone) if run.options.roster else None
    if run.roster is not None:  # extensions granted in the LMS (Moodle's worksheet says them)
        late_work.with_extensions(run.policy, run.task.name, run.roster.extensions())


def _prepare_data(run):
    """The assignment's data, decompressed once for the class."""
    run.data_dir = preflight.prepare_data(run.task, run.work / "data")


def _intake(run):
    """Stage every submission (bad input becomes a row), say their layout, and check them against the roster."""
    options, task, found = run.options, run.task, {}
    staged = intake.discover(options.submissions, task.name, task.notebook_stem, run.work / "staged",
                             pattern=options.pattern, source=options.source, roster=run.roster,
                             on_layout=lambda name, reason: found.update(layout=name, reason=reason),
                             released=task.released_files())
    run.log(f"submissions: {detect.TITLES[found['layout']]} ({found['reason']})")
    run.source_layout = found["layout"]
    if run.roster is not None:
        rosters.check_not_anonymous(run.roster, [s.student_id for s in staged])
        if run.roster.lms == "canvas" and run.source_layout != "moodle":
            exports.canvas_column(run.roster, options.lms_assignment)  # ambiguous: say so before grading
    run.staged = _without_test_students(run, staged)
    if not run.staged:
        raise intake.IntakeError(f"{options.submissions} holds no submission of {task.name}: nothing to "
                                 "grade. Give the folder that holds the students' work (nbgrader's submitted/, "
                                 "an LMS download, or notebooks named <student id>_...ipynb)")


def _without_test_students(run, staged):
    """``staged`` without the teacher's own account in Canvas's Student View: not one of the class."""
    testing = [s for s in staged if rosters.is_canvas_test_student(run.roster, s.student_id, s.lms_name)]
    for submission in testing:
        run.log(f"{submission.student_id} is Canvas's Test Student (Student View): not graded, left out of the "
                "class's rows, figures and grade import")
    return [s for s in staged if s not in testing]


def _start_grading(run):
    """The kernel zygote (or the Dask cluster) next: its imports overlap the template build."""
    run.zygote = _start_zygote(run)
    run.pool = run.pool or session.dask_pool(run.options.scheduler)
    run.pool.check_workers(run.task.data, run.data_dir)


def _start_zygote(run):
    """The kernel zygote all local workers fork their kernels from (root only: kernels run as sandbox users)."""
    if run.options.scheduler:
        return None
    return session.start_zygote(run.work / "zygote", run.threads, run.task.data, run.data_dir)


def _make_template(run):
    """The grading template, and the graded cells and points it holds."""
    run.template = session.build_template(run.work / "template", run.task)
    run.cells_order = gradebook_reader.cells_order(run.template.db_url, run.task)
    run.max_score = sum(points for _, points in run.cells_order)


def _prepare_output(run):
    """--out as an nbgrader course: results/, the gradebook with the assignment and the class, the course files."""
    out, options = run.out, run.options
    out.mkdir(parents=True, exist_ok=True)
    run.store = class_output.ResultStore(out, run.task)
    default_db = out / layout.GRADEBOOK
    if options.db_url is None and not default_db.exists():
        shutil.copy(run.template.root / layout.GRADEBOOK, default_db)  # already holds the assignment
    gradebook.ensure_assignment(run.db_url, run.template, run.task)
    with class_output.stop_when_full(out, "writing the course files", "it regrades nothing already graded."):
        course_output.write_config(out, options.db_url)
        course_output.ensure_source(out, run.template.root, run.task)
    gradebook.name_students(run.db_url,
                            [s.student_id for s in run.staged if s.status in (Status.OK, Status.MISSING)],
                            run.roster.names() if run.roster else [])
    run.lms_settings = lms_output.remember(out, run.source_layout, options.roster, options.lms_assignment)


def _choose_todo(run):
    """Save the problem rows; to grade: what is new or changed since its saved result (everything with --force)."""
    for submission in run.staged:
        if submission.status != Status.OK:
            run.store.save(Result.problem(submission, run.max_score))
            continue
        run.previous[submission.student_id] = run.store.load(submission.student_id)
        if run.options.force or not run.store.is_current(submission, run.previous[submission.student_id]):
            earlier = run.options.graded_before and run.options.graded_before(submission.student_id,
                                                                               submission.digest)
            if earlier and not run.options.force:
                _record(run, submission, earlier)
                run.reused += 1
            else:
                run.todo.append(submission)


def _log_intake(run):
    """How many to grade, and the first problem rows with what to do about each."""
    staged, log = run.staged, run.log
    problems = [s for s in staged if s.status != Status.OK]
    log(f"{plural(len(staged), 'student')}: {len(run.todo)} to grade, "
        f"{sum(s.status == Status.OK for s in staged) - len(run.todo)} already graded"
        + (f" ({run.reused} of them before the deadline: the same notebook)" if run.reused else "")
        + f", {len(problems)} with problems" + (":" if problems else ""))
    for submission in problems[:PROBLEMS_LISTED]:
        log(f"  {submission.student_id}: {submission.status}: {(submission.detail or '').splitlines()[0][:300]}"
            + (f" ({FIXES[submission.status]})" if submission.status in FIXES else ""))
    if len(problems) > PROBLEMS_LISTED:
        log(f"  ... and {len(problems) - PROBLEMS_LISTED} more: grades.csv has every row and its detail")


def _wait_for_zygote(run):
    """The zygote's socket once it is ready; without it kernels start the usual way."""
    if run.zygote is not None and run.todo:
        if run.zygote.wait_ready():
            run.zygote_socket = run.zygote.socket_path
        else:
            run.log("warning: the kernel zygote did not start; kernels start the usual way (slower)")


def _finish(run):
    """The outputs of the class's rows (only this run's students), by grade's policy."""
    this_class = {s.student_id for s in run.staged}
    results = [r for r in run.store.all() if r.student_id in this_class]
    finish.run(run.store, run.db_url, results, run.policy, run.lms_settings, run.log, finish.GRADE,
               cells_order=run.cells_order, roster=run.roster)
    return results


def _log_times(run):
    now = time.monotonic()
    run.log(f"took {now - run.started:.1f} s: setup {run.setup_done - run.started:.1f} s, "
            f"grading {run.grading_done - run.setup_done:.1f} s, report {now - run.grading_done:.1f} s; "
            f"coordinator {run.coordinator:.2f} s recording and saving {len(run.todo)} results while workers graded")


def _clean_up(run):
    """Also after a failure: the output to its owner, the workers and the zygote stopped, the temporary folder gone."""
    if run.out.is_dir():
        course_output.give_to_owner(run.out)
    if run.pool is not None:
        run.pool.close()
    if run.zygote is not None:
        run.zygote.close()
    shutil.rmtree(run.work, ignore_errors=True)


PROBLEMS_LISTED = 20
# What to do about each kind of problem row (its detail says which file and what was found).
FIXES = {
    Status.NO_NOTEBOOK: "ask the student for the notebook itself",
    Status.EMPTY: "nothing to grade",
    Status.AMBIGUOUS: "keep the notebook to grade, or have it named as the assignment's notebook, and rerun",
    Status.CORRUPT: "ask the student to download the notebook again from JupyterLab (File > Download) and resubmit",
    Status.NOT_UTF8: "ask the student to save it again in JupyterLab and resubmit",
    Status.TOO_LARGE: "usually outputs: ask the student to clear all outputs, save and resubmit",
    Status.UNSAFE_PATH: "nothing of it was read; look at the submission by hand",
    Status.MISSING: "on the roster, nothing submitted",
    Status.NOT_ON_ROSTER: "add the student to the roster or check the id, then rerun",
}


def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _grade(run):
    """Grade run.todo on the pool in its order, recording each result as it arrives; the seconds that took."""
    if not run.todo:
        return 0.0
    spec = _job_spec(run)
    futures = {run.pool.submit(s.student_id, str(s.notebook), spec): s for s in run.todo}
    coordinator = 0.0
    # the report is drawn once grading is over, when only this process works: have matplotlib ready
    threading.Thread(target=class_report.warm_up, name="report-warm-up", daemon=True).start()
    with _progress(len(run.todo)) as bar:
        for future in run.pool.as_completed(futures):
            submission = futures[future]
            received = time.monotonic()
            result = _record(run, submission, _answer(run, submission, future))
            coordinator += time.monotonic() - received
            if run.options.verbose:
                bar.write(f"{submission.student_id}: {result.status} {class_report.format_score(result)} "
                          f"in {result.seconds:.1f} s {result.detail}"[:400])
            bar.set_postfix_str(f"{submission.student_id}: {class_report.format_score(result)}")
            bar.update()
    return coordinator


def _job_spec(run):
    """What every worker needs for every job: the template, the limits, the data, what to hide, the zygote."""
    data_dir = run.data_dir
    return JobSpec(template=str(run.template.root), assignment=run.task.name, limits=run.options.limits,
                   threads=run.threads, data_dir=str(data_dir) if data_dir else None,
                   hide=tuple(_private_paths(run.options)), zygote=run.zygote_socket)


def _answer(run, submission, future):
    """One worker's Result; a fault of the machine becomes a grader-error row."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a broken worker must not stop the class
        return Result.grader_error(submission.student_id, run.max_score,
                                   f"{type(exc).__name__}: {preflight.first_line(exc, 300)}")


def _record(run, submission, result):
    """One result into the gradebook and results/."""
    if submission.detail and result.status != Status.GRADER_ERROR:
        result.detail = "; ".join(filter(None, [submission.detail, result.detail]))
    if result.scored:
        result = _into_gradebook(run, submission, result)
    result.digest, result.origin = submission.digest, submission.origin
    result.submitted_at = late_work.iso(submission.submitted_at)
    result.reported_late, result.lms_name = submission.reported_late, submission.lms_name
    late_work.apply([result], run.policy, run.task.name)  # for the notice on the feedback page
    run.store.save(result, intake.submission_files(submission))
    return result


def _into_gradebook(run, submission, result):
    """The gradebook first: a saved result means "graded", so it must be in the gradebook."""
    try:
        gradebook.record(run.db_url, result, run.task)
    except Exception as exc:  # noqa: BLE001 - any driver error: this row is not graded
        unknown = isinstance(exc, gradebook.CommitOutcomeUnknown)
        what = (f"{gradebook.OUTCOME_UNKNOWN}; the rerun writes it again" if unknown
                else "the gradebook could not be written")
        return Result.grader_error(submission.student_id, run.max_score,
                                   f"{what}: {type(exc).__name__}: {preflight.first_line(exc, 300)}", result.seconds)
    return result
