"""Grade a whole class: intake -> isolated parallel grading -> gradebook, CSV, feedback, report.

Stages, each in its own module:
  intake.discover      validate and stage every submission (bad input becomes a row)
  schedule             hand them to workers expected-longest first
  local_pool/dask_pool grading workers on this machine or on a Dask cluster (one interface)
  grade_one            grade one submission in its own temporary course, student code unprivileged
  gradebook            the coordinator alone writes results into the nbgrader gradebook
  class_output         results/ and feedback/ as they arrive, then grades.csv, the report, LMS files

Results are saved one file per student as they arrive (results/<student>.json), so an
interrupted run loses nothing and a rerun grades only what is new or changed.

Faults of the grading machine are never scores: ``preflight`` refuses to start on a machine
that cannot grade (before anything is written), and a fault found mid-run (a worker that
died or lacks the data, a gradebook that cannot be written) makes the row ``grader-error``:
no total, not in the gradebook, regraded by the next run.
"""
import contextlib
import dataclasses
import importlib
import logging
import os
import pathlib
import shutil
import tempfile
import threading
import time
import warnings

from autograder import late_work
from autograder.assignment import Assignment
from autograder.course import environment, gradebook_reader, layout, run_nbgrader
from autograder.course.scratch_course import Course
from autograder.grading import class_output, course_output, gradebook, intake, lms_output, preflight, schedule
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


def _build_template(root, task):
    """The course every submission is graded in (copied per submission): source/ and a gradebook."""
    # imported before generate_assignment forks this process: the fork and the gradebook share the import
    importlib.import_module("nbgrader.apps.nbgraderapp")

    template = Course.create(root, task=task)
    gradebook.create_stamped_sqlite(template.root / layout.GRADEBOOK)
    log_path = root.parent / "template.log"
    code = run_nbgrader.run(["generate_assignment", task.name, "--force"], template.root,
                            environment.child_env(), log_path, timeout=600)
    if code != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed (exit {code}) for the grading template:\n"
                           f"{log_path.read_text(errors='replace')}")
    return template


def _dask_pool(address):
    """The Dask cluster at --scheduler, behind the local pool's interface."""
    from autograder.grading.dask_pool import DaskPool  # distributed is imported only when used

    return DaskPool(address)


def _start_zygote(options, work, threads, data, data_dir):
    """The kernel zygote all local workers fork their kernels from (root only: kernels run as sandbox users)."""
    if options.scheduler or os.geteuid() != 0 or os.environ.get("TASK41_NO_ZYGOTE"):
        return None
    from autograder.sandbox import zygote_client

    folder = work / "zygote"
    folder.mkdir(mode=0o700)  # root's: kernels must not reach the socket
    return zygote_client.Zygote(folder / "zygote.sock", threads, data, data_dir)


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


def _run(options, log):  # noqa: C901 - the class run in small steps with a value object: issue 33, next step
    out, task = options.out.resolve(), options.task
    db_url = options.db_url or layout.sqlite_url(out)
    work = pathlib.Path(tempfile.mkdtemp(prefix="task41-grading-"))
    os.chmod(work, 0o711)  # sandboxed kernels traverse into their own course only
    started = time.monotonic()
    pool = zygote = None
    try:
        # local workers start first: their imports overlap the checks and the setup
        released = task.release_notebook(task.folder.parents[1])  # beside source/ in its course, if generated
        pool = None if options.scheduler else LocalPool(max(1, options.workers),
                                                          released if released.is_file() else None)
        # then what can refuse to start: nothing is written to --out before these pass
        policy = late_work.load_policy(course_output.policy_config(out))  # a bad due date stops here
        class_roster = rosters.read(options.roster, policy.timezone) if options.roster else None
        if class_roster is not None:  # extensions granted in the LMS (Moodle's worksheet says them)
            late_work.with_extensions(policy, task.name, class_roster.extensions())
        # the assignment's data, decompressed once for the class
        data_dir = preflight.prepare_data(task, work / "data")
        found = {}
        staged = intake.discover(options.submissions, task.name, task.notebook_stem, work / "staged",
                                 pattern=options.pattern, source=options.source, roster=class_roster,
                                 on_layout=lambda name, reason: found.update(layout=name, reason=reason),
                                 released=task.released_files())
        log(f"submissions: {detect.TITLES[found['layout']]} ({found['reason']})")
        if class_roster is not None:
            rosters.check_not_anonymous(class_roster, [s.student_id for s in staged])
            if class_roster.lms == "canvas" and found["layout"] != "moodle":
                exports.canvas_column(class_roster, options.lms_assignment)  # ambiguous: say so before grading
        testing = [s for s in staged if rosters.is_canvas_test_student(class_roster, s.student_id, s.lms_name)]
        for submission in testing:  # the teacher's own account in Student View: not one of the class
            log(f"{submission.student_id} is Canvas's Test Student (Student View): not graded, left out of the "
                "class's rows, figures and grade import")
        staged = [s for s in staged if s not in testing]
        if not staged:
            raise intake.IntakeError(f"{options.submissions} holds no submission of {task.name}: nothing to "
                                     "grade. Give the folder that holds the students' work (nbgrader's submitted/, "
                                     "an LMS download, or notebooks named <student id>_...ipynb)")
        preflight.run(out, options.db_url, len(staged), options.isolation)
        # kernels share the machine with each other and with other work: one BLAS thread each (limits.py)
        threads = options.limits.kernel_blas_threads
        # the kernel zygote (or the Dask cluster) next: its imports overlap the template build
        zygote = _start_zygote(options, work, threads, task.data, data_dir)
        pool = pool or _dask_pool(options.scheduler)
        pool.check_workers(task.data, data_dir)
        template = _build_template(work / "template", task)
        cells_order = gradebook_reader.cells_order(template.db_url, task)
        max_score = sum(points for _, points in cells_order)
        out.mkdir(parents=True, exist_ok=True)
        store = class_output.ResultStore(out, task)
        default_db = out / layout.GRADEBOOK
        if options.db_url is None and not default_db.exists():
            shutil.copy(template.root / layout.GRADEBOOK, default_db)  # already holds the assignment
        gradebook.ensure_assignment(db_url, template, task)
        with class_output.stop_when_full(out, "writing the course files", "it regrades nothing already graded."):
            course_output.write_config(out, options.db_url)
            course_output.ensure_source(out, template.root, task)
        gradebook.name_students(db_url, [s.student_id for s in staged if s.status in (Status.OK, Status.MISSING)],
                                class_roster.names() if class_roster else [])
        lms_settings = lms_output.remember(out, found["layout"], options.roster, options.lms_assignment)

        todo, previous = [], {}
        for submission in staged:
            if submission.status != Status.OK:
                store.save(Result.problem(submission, max_score))
                continue
            previous[submission.student_id] = store.load(submission.student_id)
            if options.force or not store.is_current(submission, previous[submission.student_id]):
                todo.append(submission)
        problems = [s for s in staged if s.status != Status.OK]
        log(f"{plural(len(staged), 'student')}: {len(todo)} to grade, "
            f"{sum(s.status == Status.OK for s in staged) - len(todo)} already graded, "
            f"{len(problems)} with problems" + (":" if problems else ""))
        for submission in problems[:PROBLEMS_LISTED]:
            log(f"  {submission.student_id}: {submission.status}: {(submission.detail or '').splitlines()[0][:300]}"
                + (f" ({FIXES[submission.status]})" if submission.status in FIXES else ""))
        if len(problems) > PROBLEMS_LISTED:
            log(f"  ... and {len(problems) - PROBLEMS_LISTED} more: grades.csv has every row and its detail")

        setup_done = time.monotonic()
        zygote_socket = None
        if zygote is not None and todo:
            if zygote.wait_ready():
                zygote_socket = zygote.socket_path
            else:
                log("warning: the kernel zygote did not start; kernels start the usual way (slower)")
        todo = schedule.longest_first(todo, previous.get, task.release_notebook(template.root))
        coordinator = _grade(options, pool, template.root, threads, data_dir, zygote_socket, todo, store, db_url,
                             max_score, policy)
        pool.close()
        grading_done = time.monotonic()
        results = [r for r in store.all() if r.student_id in {s.student_id for s in staged}]
        manual = {}
        try:  # scores a person gave in Formgrader
            manual = gradebook.manual_grading(db_url, task)
            gradebook.apply_manual_grades(results, manual)
        except Exception as exc:  # noqa: BLE001 - an unreachable gradebook must not lose the CSV of what was graded
            log(f"warning: manual scores could not be read from the gradebook ({type(exc).__name__}: "
                f"{preflight.first_line(exc, 200)}); grades.csv shows automatic scores only. Once the gradebook "
                f"is back, `python -m autograder publish` adds them.")
        late_work.apply(results, policy, task.name)
        try:  # Formgrader and `nbgrader export` show the penalties too
            gradebook.record_late_work(db_url, results, policy, task)
        except Exception as exc:  # noqa: BLE001 - grades.csv holds them either way
            log(f"warning: late penalties could not be written to the gradebook ({type(exc).__name__}: "
                f"{preflight.first_line(exc, 200)}); grades.csv and the report hold them")
        # a regraded student's fresh page came from a gradebook without the person's score: carry it back in
        class_output.feedback_with_manual_grades(out, db_url, results, manual, store,
                                                 "it regrades nothing and writes the feedback again.")
        class_output.write_tables(out, results, cells_order, lms_settings, store, log, class_roster,
                                  rerun="it regrades nothing and writes the CSV and report.")
        log(f"took {time.monotonic() - started:.1f} s: setup {setup_done - started:.1f} s, "
            f"grading {grading_done - setup_done:.1f} s, report {time.monotonic() - grading_done:.1f} s; "
            f"coordinator {coordinator:.2f} s recording and saving {len(todo)} results while workers graded")
        return results
    finally:  # also when interrupted: stop the workers at once, what was saved stays
        if out.is_dir():
            course_output.give_to_owner(out)
        if pool is not None:
            pool.close()
        if zygote is not None:
            zygote.close()
        shutil.rmtree(work, ignore_errors=True)


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


def _grade(options, pool, template_root, threads, data_dir, zygote, todo, store, db_url, max_score, policy):
    """Grade ``todo`` on the pool in its order, recording each result as it arrives; the seconds that took."""
    if not todo:
        return 0.0
    spec = JobSpec(template=str(template_root), assignment=options.task.name, limits=options.limits, threads=threads,
                   data_dir=str(data_dir) if data_dir else None, hide=tuple(_private_paths(options)), zygote=zygote)
    futures = {pool.submit(s.student_id, str(s.notebook), spec): s for s in todo}
    coordinator = 0.0
    # the report is drawn once grading is over, when only this process works: have matplotlib ready
    threading.Thread(target=class_report.warm_up, name="report-warm-up", daemon=True).start()
    with _progress(len(todo)) as bar:
        for future in pool.as_completed(futures):
            submission = futures[future]
            received = time.monotonic()
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a broken worker must not stop the class
                result = Result.grader_error(submission.student_id, max_score,
                                             f"{type(exc).__name__}: {preflight.first_line(exc, 300)}")
            if submission.detail and result.status != Status.GRADER_ERROR:
                result.detail = "; ".join(filter(None, [submission.detail, result.detail]))
            if result.scored:
                try:  # the gradebook first: a saved result means "graded", so it must be in the gradebook
                    gradebook.record(db_url, result, options.task)
                except Exception as exc:  # noqa: BLE001 - any driver error: this row is not graded
                    unknown = isinstance(exc, gradebook.CommitOutcomeUnknown)
                    what = (f"{gradebook.OUTCOME_UNKNOWN}; the rerun writes it again" if unknown
                            else "the gradebook could not be written")
                    result = Result.grader_error(submission.student_id, max_score,
                                                 f"{what}: {type(exc).__name__}: {preflight.first_line(exc, 300)}",
                                                 result.seconds)
            result.digest, result.origin = submission.digest, submission.origin
            result.submitted_at = late_work.iso(submission.submitted_at)
            result.reported_late, result.lms_name = submission.reported_late, submission.lms_name
            late_work.apply([result], policy, options.task.name)  # for the notice on the feedback page
            store.save(result, intake.submission_files(submission))
            coordinator += time.monotonic() - received
            if options.verbose:
                bar.write(f"{submission.student_id}: {result.status} {class_report.format_score(result)} "
                          f"in {result.seconds:.1f} s {result.detail}"[:400])
            bar.set_postfix_str(f"{submission.student_id}: {class_report.format_score(result)}")
            bar.update()
    return coordinator
