"""Grade one submission in a throw-away nbgrader course, the student's code unprivileged.

``grade_one`` is a plain function of paths and values (the coordinator may call it
in a Dask worker).  It copies a prepared template course into a fresh temporary
directory, runs ``nbgrader autograde`` and ``nbgrader generate_feedback`` there as
the calling user (root on the grading machines), and returns the scores read from
that temporary gradebook.  Student code runs only in the kernel, which nbgrader
starts through ``autograder.sandbox.launcher``: as the dedicated user
``task41-sbx<slot>``, with resource limits, without network (the kernel talks to
nbgrader over unix sockets) and in a mount namespace that hides the course
material.  Whatever the submission does, none of its processes or files outlive
the call.  Not root: the kernel runs as the caller with resource limits only.

One slot, one grading at a time: everything the slot's user runs is killed
before and after a submission.
"""
import dataclasses
import json
import os
import pathlib
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from autograder import assignment
from autograder.course import environment, gradebook_reader, layout, run_nbgrader
from autograder.grading.job import JobSpec
from autograder.kernel import cell_errors, diagnosis
from autograder.report import fallback_feedback
from autograder.result import Result, Status, valid_student_id
from autograder.sandbox.users import TOKEN_VARIABLE, claimed_slot, kill_processes, sandbox_user

KERNEL_NAME = "python3-sandbox"
LOG_TAIL_LINES = 30


# ---------------------------------------------------------------- the temporary course

@dataclasses.dataclass
class Workspace:
    """``base/`` (from mkdtemp) holding course/, jupyter/ (kernel spec), runtime/, scratch/ and log."""
    base: pathlib.Path
    user: object  # pwd entry or None
    task: assignment.Assignment  # what is graded in it

    @property
    def course(self):
        return self.base / "course"

    @property
    def scratch(self):
        return self.base / "scratch"

    @property
    def sockets(self):
        """The kernel's unix sockets (ipc transport): owned by the sandbox user, who creates them."""
        return self.base / "ipc"

    @property
    def log(self):
        return self.base / "nbgrader.log"

    @property
    def db_url(self):
        return layout.sqlite_url(self.course)

    def protect(self, path, mode, traversable=False):
        """chmod; directories the kernel must pass through get the sandbox user's group."""
        if self.user and traversable:
            os.chown(path, 0, self.user.pw_gid)
            mode = mode & ~0o001 | 0o010  # group may pass, others may not
        os.chmod(path, mode)


def task_of(job):
    """The Assignment ``job`` grades, read from the template course's source/ (its only one, if not named)."""
    source = pathlib.Path(job.template) / "source"
    if job.assignment:
        return assignment.load_cached(source / job.assignment)
    found = assignment.graded_in(source)
    if len(found) != 1:
        raise FileNotFoundError(f"template course {job.template} holds {len(found)} assignments: name one")
    return next(iter(found.values()))


def create_workspace(template, user, task):
    """Fresh base directory with the course copied from ``template`` and locked down.

    The kernel (sandbox user) may only pass through base/ and course/ to reach its
    working directory; source/, gradebook.db, submitted/ and the config are root's.
    """
    template = pathlib.Path(template)
    for required in ("nbgrader_config.py", layout.GRADEBOOK, f"source/{task.name}"):
        if not (template / required).exists():
            raise FileNotFoundError(f"template course {template} has no {required}")
    workspace = Workspace(pathlib.Path(tempfile.mkdtemp(prefix="task41-grade-")), user, task)
    course = workspace.course
    course.mkdir()
    shutil.copy(template / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copy(template / layout.GRADEBOOK, course / layout.GRADEBOOK)
    shutil.copytree(template / "source", course / "source",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    (course / "submitted").mkdir()
    for name in ("jupyter", "runtime"):
        (workspace.base / name).mkdir(mode=0o700)
    workspace.scratch.mkdir()
    workspace.sockets.mkdir(mode=0o700)
    if user:
        os.chown(workspace.sockets, user.pw_uid, user.pw_gid)
    workspace.protect(workspace.base, 0o711, traversable=True)
    workspace.protect(course, 0o711, traversable=True)
    workspace.protect(workspace.scratch, 0o711, traversable=True)
    workspace.protect(course / "source", 0o700)
    workspace.protect(course / "submitted", 0o700)
    workspace.protect(course / layout.GRADEBOOK, 0o600)
    workspace.protect(course / "nbgrader_config.py", 0o600)
    return workspace


def stage_notebook(workspace, student_id, notebook):
    """Copy the submission to submitted/<student>/<assignment>/<notebook>.ipynb."""
    dest = workspace.task.student_notebook(workspace.course, "submitted", student_id)
    dest.parent.mkdir(parents=True)
    shutil.copyfile(notebook, dest)
    return dest


def write_kernel_spec(workspace, job, token):
    """jupyter/kernels/python3-sandbox/kernel.json: ipykernel started through the sandbox launcher.

    Returns the sandbox options (confinement.parse_args), which the preflight's probe takes too.
    The kernel sees neither the template, the workspace, nor ``job.hide`` (the class's submissions
    and grading output); with ``job.zygote`` (sandbox users only) it is forked from the kernel zygote.
    """
    limits = job.limits
    options = ["--scratch", str(workspace.scratch), "--memory", str(limits.memory_bytes),
               "--nproc", str(limits.max_processes), "--fsize", str(limits.max_file_bytes),
               "--hide", str(pathlib.Path(job.template).resolve()), "--hide", str(workspace.base)]
    for path in job.hide:
        options += ["--hide", str(pathlib.Path(path).resolve())]
    if workspace.user:
        options += ["--user", workspace.user.pw_name]
    if workspace.task.data:
        options += ["--data-env", workspace.task.data.env]
    argv = [sys.executable, "-m", "autograder.sandbox.launcher", *options]
    if workspace.user and job.zygote:
        argv += ["--zygote", str(job.zygote)]
    env = {TOKEN_VARIABLE: token, **environment.blas_thread_env(job.threads)}
    spec = {"argv": [*argv, "-f", "{connection_file}"], "display_name": "Python 3 (sandboxed)",
            "language": "python", "interrupt_mode": "signal", "env": env, "metadata": {"debugger": False}}
    spec_dir = workspace.base / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return options


def nbgrader_env(workspace, data_dir=None):
    """child_env() with our kernel spec first on JUPYTER_PATH and connection files in the workspace.

    ``data_dir``: the folder of the assignment's data the kernel should read (default: as child_env finds it).
    """
    env = environment.child_env(workspace.task)
    if data_dir and workspace.task.data:
        env[workspace.task.data.env] = str(data_dir)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(workspace.base / "jupyter"), env.get("JUPYTER_PATH")]))
    env["JUPYTER_RUNTIME_DIR"] = str(workspace.base / "runtime")
    return env


# ---------------------------------------------------------------- running nbgrader

_probed = set()
_probe_lock = threading.Lock()


def probe_sandbox(workspace, sandbox_options, env):
    """Once per process and user: the probe, confined as a kernel, imports what kernels need.

    A failure here is the grading machine's fault, not the student's: raise.
    """
    key = (workspace.user.pw_name if workspace.user else "", workspace.task.checks)
    with _probe_lock:
        if key in _probed:
            return
        probe = [sys.executable, "-m", "autograder.sandbox.probe", *sandbox_options,
                 *(["--no-network"] if workspace.user else []),
                 *(["--imports", workspace.task.checks] if workspace.task.checks else [])]
        result = subprocess.run(probe, cwd=workspace.course, env=env, capture_output=True,
                                text=True, timeout=120)
        expected = f"uid {workspace.user.pw_uid if workspace.user else os.getuid()}"
        if result.returncode != 0 or expected not in result.stdout:
            raise RuntimeError(f"the kernel sandbox does not work here (exit {result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")
        _probed.add(key)


def nbgrader_in_workspace(workspace, args, env, timeout):
    """Run ``nbgrader ARGS`` in the course, output appended to the log; exit code, None on timeout."""
    return run_nbgrader.run(args, workspace.course, env, workspace.log, timeout)


def log_tail(workspace, lines=LOG_TAIL_LINES):
    """Last lines of the nbgrader log (it may be large if the kernel wrote to its stderr)."""
    try:
        with open(workspace.log, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 16384))
            text = log.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# Failures of nbgrader caused by the submission, recognised in nbgrader's log, and what to tell the
# student.  Any other failure is the grading machine's (a kernel that cannot start, the integrity
# module missing, a full disk): the row becomes "grader-error", never a score.
STUDENT_FAILURES = [
    (cell_errors.DEAD_KERNEL, "the kernel died (the notebook exited, crashed or exceeded a memory or process limit)"),
    ("NotJSONError", "the file is not a valid notebook"),
    ("ValidationError", "the file is not a valid notebook"),
]


def failure_detail(command, code, workspace):
    """(status, detail): "error" with the reason for a known fault of the submission, else "grader-error"."""
    tail = log_tail(workspace)
    reason = next((why for marker, why in STUDENT_FAILURES if marker in tail), None)
    if reason:
        return Status.ERROR, f"nbgrader {command} failed: {reason}\n{tail}"
    return Status.GRADER_ERROR, (f"not graded: nbgrader {command} failed (exit {code}) for a reason outside the "
                            f"submission; fix the grading machine and rerun\n{tail}")


def autograde_args(workspace, student_id, limits):
    """nbgrader autograde with our limits and kernel; unix sockets let the kernel live without a network."""
    return ["autograde", workspace.task.name, f"--student={student_id}", "--force",
            f"--Execute.timeout={int(limits.cell_timeout)}", f"--LimitOutput.max_lines={int(limits.max_output_lines)}",
            f"--GuardedExecute.notebook_timeout={limits.notebook_seconds}",
            f"--Execute.kernel_name={KERNEL_NAME}", "--KernelManager.transport=ipc",
            f"--KernelManager.ip={workspace.sockets / 'kernel'}"]


def feedback_args(workspace, student_id):
    """nbgrader generate_feedback for one student (the preprocessors come from nbgrader_config.py)."""
    return ["generate_feedback", workspace.task.name, f"--student={student_id}", "--force"]


# ---------------------------------------------------------------- reading results

def assignment_cells(workspace):
    """{grade_id: {"score": 0.0, "max_score", "needs_manual"}} for every graded cell of the assignment."""
    return {cell.grade_id: {"score": 0.0, "max_score": cell.max_score, "needs_manual": cell.manual}
            for cell in gradebook_reader.graded_cells(workspace.db_url, workspace.task)}


def submission_cells(workspace, student_id):
    """Per-cell grades nbgrader saved for the student, or None if there are none."""
    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import SQLAlchemyError

    try:
        grades = gradebook_reader.stored_grades(workspace.db_url, student_id, workspace.task)[student_id]
    except (MissingEntry, SQLAlchemyError):  # not graded, or a gradebook half-written by a killed nbgrader
        return None
    return {gid: {"score": grade.score, "max_score": grade.max_score, "needs_manual": grade.needs_manual}
            for gid, grade in grades.items()} or None


def read_text(path):
    """File contents, "" if it does not exist."""
    try:
        return pathlib.Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def student_files(workspace, student_id):
    """(feedback HTML, autograded notebook) as text, "" when missing."""
    course, task = workspace.course, workspace.task
    return (read_text(task.student_notebook(course, "feedback", student_id, ".html")),
            read_text(task.student_notebook(course, "autograded", student_id)))


# ---------------------------------------------------------------- the unit

def grade_one(job: JobSpec, student_id: str, notebook: str, slot: int = 0) -> Result:
    """Autograde one staged notebook in a throw-away copy of ``job.template``; see the module docstring.

    ``slot`` is a preference: a slot busy with another grading is skipped.  Returns
    the Result (status "graded", "crashed", "tampered", "timeout" or "error"); raises only when the
    template or the grading machine is broken.  ``job.zygote``: see ``sandbox.zygote`` (started with
    the same ``threads`` and ``data_dir``).
    """
    with claimed_slot(slot) as free_slot:
        return _grade_in_slot(job, student_id, notebook, free_slot)


def _grade_in_slot(job, student_id, notebook, slot):
    started = time.monotonic()
    limits = job.limits
    deadline = started + limits.wall_seconds
    user = sandbox_user(slot) if os.geteuid() == 0 else None
    result = Result(student_id, isolation=f"user:{user.pw_name}" if user else "rlimits-only")
    if not valid_student_id(student_id):
        result.detail = f"invalid student id {student_id!r}"
        return result
    if not os.path.isfile(notebook):
        result.detail = f"no notebook at {notebook}"
        return result
    token = secrets.token_hex(16)
    workspace = create_workspace(job.template, user, task_of(job))
    try:
        result.set_cells(assignment_cells(workspace))
        env = nbgrader_env(workspace, job.data_dir)
        sandbox_options = write_kernel_spec(workspace, job, token)
        probe_sandbox(workspace, sandbox_options, env)
        stage_notebook(workspace, student_id, notebook)
        stop_processes(workspace, token)  # leftovers of a crashed earlier run would count against the limits
        _grade(workspace, result, student_id, limits, env, deadline)
        result.feedback_html, result.autograded_notebook = student_files(workspace, student_id)
        if not result.feedback_html and result.scored:
            result.feedback_html = fallback_feedback.page(student_id, result.status, result.detail, result.cells)
    finally:
        if not stop_processes(workspace, token):
            result.add_detail("some student processes could not be killed")
        shutil.rmtree(workspace.base, ignore_errors=True)
        result.seconds = round(time.monotonic() - started, 2)
    return result


def _grade(workspace, result, student_id, limits, env, deadline):
    """Autograde, then generate feedback, within the wall budget; fill in status, detail and cells."""
    code = nbgrader_in_workspace(workspace, autograde_args(workspace, student_id, limits), env,
                                 deadline - time.monotonic())
    graded_notebook = None
    if code is None:
        result.status = Status.TIMEOUT
        result.detail = (f"grading stopped after {limits.wall_seconds} s, the limit for a whole submission: "
                         "nbgrader itself did not finish, no test was scored")
    elif code != 0:
        result.status, result.detail = failure_detail("autograde", code, workspace)
        if result.status == Status.GRADER_ERROR:
            result.score = None
        return
    else:
        code = nbgrader_in_workspace(workspace, feedback_args(workspace, student_id), env, deadline - time.monotonic())
        if code is None:
            result.status, result.detail = Status.TIMEOUT, f"grading stopped after {limits.wall_seconds} s"
        else:
            result.status = Status.GRADED
            if code != 0:
                result.add_detail("feedback: " + failure_detail("generate_feedback", code, workspace)[1])
        graded_notebook = read_autograded(result, workspace, student_id)
        if graded_notebook is not None:
            note_incidents(result, graded_notebook, limits)
        if result.status == Status.GRADER_ERROR:
            result.score = None
            return
    cells = submission_cells(workspace, student_id)
    if cells:
        take_scored_cells(result, cells, graded_notebook, workspace.task.catalogue())
    elif result.status == Status.GRADED:
        result.status, result.detail = Status.ERROR, f"nbgrader saved no grades:\n{log_tail(workspace)}"


def take_scored_cells(result, cells, graded_notebook, catalogue):
    """Put the gradebook's ``cells`` into the row, with the diagnosis each failed test cell carries."""
    # a deleted or demoted test cell: nbgrader leaves it to a person; it is a 0 with a note
    finished = result.status != Status.TIMEOUT  # else nothing was scored yet
    missing = [gid for gid, cell in result.cells.items() if finished
               and not cell["needs_manual"] and (gid not in cells or cells[gid]["needs_manual"])]
    for gid in missing:
        cells[gid] = {**result.cells[gid], "score": 0.0}
    if missing:
        result.add_detail(f"test cells missing from the notebook scored 0: {', '.join(missing)}")
    result.set_cells({**result.cells, **cells})
    if graded_notebook is not None:
        add_diagnoses(result.cells, graded_notebook, catalogue)


# Error names GuardedExecute and nbgrader write into graded cells, and what they mean for the row.
INCIDENTS = {
    cell_errors.INTEGRITY_ERROR: (Status.TAMPERED, "tests from {cell} on scored 0: {evalue}"),
    cell_errors.DEAD_KERNEL: (Status.CRASHED,
                              "the kernel died in {cell}; graded cells after it scored 0, earlier points kept"),
    cell_errors.CELL_TIMEOUT: (None, "{cell} timed out: {evalue}"),
    cell_errors.STUDENT_CODE_TIMEOUT: (None, "{cell}: {evalue}"),
    cell_errors.NOTEBOOK_TIME_LIMIT: (Status.TIMEOUT, "the notebook ran out of time ({evalue}); earlier points kept"),
    # a time limit ran out while the kernel waited for a CPU: the machine's fault, never a score
    cell_errors.KERNEL_SILENT_AT_START: (Status.GRADER_ERROR, "not graded: {evalue}. The next run of grade grades "
                                                              "it again"),
    cell_errors.GRADING_MACHINE_BUSY: (Status.GRADER_ERROR, "not graded: in {cell}, {evalue}. The next run of "
                                                            "grade grades it again"),
}


def read_autograded(result, workspace, student_id):
    """The autograded notebook, or None (and a detail saying so) when nbgrader left none to read."""
    import nbformat

    path = workspace.task.student_notebook(workspace.course, "autograded", student_id)
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - whatever nbformat raises (or a missing file), the row says it
        result.add_detail(f"the autograded notebook could not be read ({type(exc).__name__}), so crashes, "
                          "tampering and diagnoses were not looked for")
        return None


def add_diagnoses(cells, notebook, catalogue):
    """Give each failed test cell the diagnosis its error output carries (one of ``catalogue``), if any."""
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        graded = cells.get(grade_id)
        if not graded or graded.get("needs_manual") or graded["score"] >= graded["max_score"]:
            continue
        for output in cell.get("outputs", []):
            found = diagnosis.of_error_output(output, catalogue) if output.get("output_type") == "error" else None
            if found:
                graded["diagnosis"] = found


def note_incidents(result, notebook, limits):
    """Status "tampered" or "crashed" and a detail line, from the error outputs of the autograded notebook."""
    seen = set()
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            ename = output.get("ename") if output.get("output_type") == "error" else None
            if ename not in INCIDENTS or ename in seen:
                continue
            seen.add(ename)
            status, text = INCIDENTS[ename]
            name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
            evalue = str(output.get("evalue", ""))[:400]
            result.add_detail(text.format(cell=name, evalue=evalue, timeout=limits.cell_timeout))
            if status == Status.GRADER_ERROR or (status and result.status == Status.GRADED):
                result.status = status


def stop_processes(workspace, token):
    """Kill everything the student's code started: by uid when sandboxed, else by the kernel's token.

    True when nothing is left.
    """
    if workspace.user:
        return kill_processes(uid=workspace.user.pw_uid)
    return kill_processes(token=token)
