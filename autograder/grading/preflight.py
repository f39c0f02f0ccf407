"""Is this machine fit to grade?  Checked before anything is graded or written.

A fault of the grading machine must never become a student's score: with its data
missing, every student would lose the points of the tests that read it.  So ``grade`` and
``demo`` check their own environment first and refuse to start, with one message
naming each fix; grading workers check theirs before they take work
(``check_worker``), and a failure there marks the row ``grader-error``.

Checks: the assignment's data present and matching its digests (its loader holds them); the nbgrader
version this course is built for; the gradebook reachable and writable; the
isolation asked for available (root, namespaces); room for the output.
"""
import os
import pathlib
import re
import shutil
import tempfile

from autograder.course import environment, layout
from autograder.dataset import DataUnavailable
from autograder.errors import GraderFault


def first_line(exc, limit=200):
    """First line of an exception's message (a database error's underlying one), "" if it has none."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:limit] if text else ""


class PreflightFailed(GraderFault):
    """The machine cannot grade; ``problems`` are (what, message with its fix)."""

    def __init__(self, problems):
        self.problems = problems
        lines = ["the grader cannot start on this machine; nothing was graded."]
        for what, message in problems:
            lines.append(f"- {what}: " + message.replace("\n", "\n    "))
        super().__init__("\n".join(lines))


# Output per submission: results JSON (~10 kB) and the feedback page (~0.3 MB), with margin.
BYTES_PER_SUBMISSION = 2 * 2**20
BYTES_FIXED = 50 * 2**20            # gradebook, report, CSV
WORK_BYTES = 300 * 2**20            # decompressed data (MNIST: 55 MB), template course, workspaces


def pinned_nbgrader():
    """The nbgrader version requirements.txt pins, or None."""
    try:
        text = (layout.REPO / "requirements.txt").read_text()
    except OSError:
        return None
    match = re.search(r"^nbgrader==([\w.]+)", text, re.MULTILINE)
    return match.group(1) if match else None


def check_nbgrader():
    import nbgrader

    installed, pinned = nbgrader.__version__, pinned_nbgrader()
    wanted = pinned or "0.9"
    if installed == wanted or (not pinned and installed.startswith("0.9.")):
        return None
    return (f"nbgrader {installed} is installed; this course and its grading stages are built and tested "
            f"for nbgrader {wanted}.\nFix: pip install -r {layout.REPO / 'requirements.txt'}")


def _ready(task, action):
    try:
        return action(task.data)
    except DataUnavailable as exc:
        raise PreflightFailed([(task.data.name, instructor_data_message(task, exc.finding))]) from None


def instructor_data_message(task, loader_message):
    """The loader's finding (which files, where, what is wrong) with the fix for whoever runs the grader.

    The loader's own advice is a student's (restart Jupyter, call the loader with a folder); an
    instructor restores the course's copy or names another.
    """
    data = task.data
    how = f"named by {data.env}" if os.environ.get(data.env) else "where data/README.md says the tools look"
    finding = [line.replace("Directory searched:", "Folder checked:").replace("(data_dir argument)", f"({how})")
               for line in loader_message.split("To fix it")[0].splitlines()
               if line.strip() and not line.rstrip().endswith("does not download.")]
    return ("\n".join(finding) + f"\nThe tests that read {data.name} would fail for every student, so nothing is "
            f"graded until the data is in place. Run `make data` in {layout.REPO} (it copies the files from "
            f"{layout.SHARED_DATA_ROOT / data.folder} or downloads them, verified, into "
            f"{layout.DATA_ROOT / data.folder}), or set {data.env} to a folder holding them (data/README.md lists "
            "their SHA-256), then run the command again.")


def prepare_data(task, destination):
    """Verify ``task``'s data against its digests and decompress it into ``destination`` (None: it reads
    none); raise PreflightFailed."""
    if not task.data:
        return None
    return _ready(task, lambda data: data.decompress_to(destination, environment.data_dir(task)))


def verify_data(task):
    """Verify ``task``'s data where grading reads it, without copying it; raise PreflightFailed."""
    if task.data:
        _ready(task, lambda data: data.verify(environment.data_dir(task)))


def check_output_space(out, submissions):
    """None if ``out`` (or its nearest existing parent) and the temporary folder have room."""
    problems = []
    needed = BYTES_FIXED + BYTES_PER_SUBMISSION * submissions
    for folder, need, what in ((_existing(out), needed, f"the output folder {out}"),
                               (pathlib.Path(tempfile.gettempdir()), WORK_BYTES, "the temporary folder")):
        free = shutil.disk_usage(folder).free
        if free < need:
            problems.append(f"{what} has {free / 2**20:.0f} MB free; grading {submissions} submissions needs "
                            f"about {need / 2**20:.0f} MB.\nFix: free space there, or choose another "
                            + ("--out." if "output" in what else "TMPDIR."))
    return "\n".join(problems) or None


def _existing(path):
    path = pathlib.Path(path).resolve()
    while not path.exists():
        path = path.parent
    return path


def check_gradebook(db_url, out):
    """None if the gradebook can be reached and written (a write in a transaction, rolled back)."""
    if db_url is None:  # SQLite in --out: created later, so the folder must be writable
        folder = _existing(out)
        database = pathlib.Path(out) / layout.GRADEBOOK
        target = database if database.exists() else folder
        if not os.access(target, os.W_OK):
            return f"{target} is not writable, so the gradebook cannot be written.\nFix: choose another --out."
        if not database.exists():
            return None
        db_url = layout.sqlite_url(out)
    try:
        _write_and_roll_back(db_url)
    except Exception as exc:  # noqa: BLE001 - any driver error means: cannot grade into it
        shown = re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", db_url)
        return (f"the gradebook {shown} cannot be written: {type(exc).__name__}: {first_line(exc)}\n"
                "Fix: start the database server, check the URL, user and password, and grant this user "
                "write access; or leave out --db to use SQLite in --out.")
    return None


def _write_and_roll_back(db_url):
    """Create a table in a transaction and roll it back: proves write access, changes nothing."""
    statements = ("CREATE TABLE task41_preflight (probe INTEGER)", "INSERT INTO task41_preflight VALUES (1)")
    if db_url.startswith("sqlite:///"):
        import sqlite3  # directly: pysqlite under SQLAlchemy would commit the CREATE TABLE at once

        connection = sqlite3.connect(db_url[len("sqlite:///"):], isolation_level=None, timeout=10)
        try:
            connection.execute("BEGIN IMMEDIATE")
            for statement in statements:
                connection.execute(statement)
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        return
    import sqlalchemy

    options = {"connect_args": {"connect_timeout": 10}} if db_url.startswith("postgres") else {}
    engine = sqlalchemy.create_engine(db_url, **options)
    try:
        with engine.connect() as connection, connection.begin() as transaction:
            for statement in statements:
                connection.execute(sqlalchemy.text(statement))
            transaction.rollback()
    finally:
        engine.dispose()


def check_isolation(isolation):
    """None if the isolation asked for is available: ``sandbox`` needs root and mount namespaces."""
    if isolation != "sandbox":
        return None
    if os.geteuid() != 0:
        return ("--isolation sandbox needs root (sandbox users, mount namespaces), and this grader runs as "
                f"uid {os.geteuid()}.\nFix: run the grade command as root (sudo), or pass --isolation auto to "
                "grade with resource limits only (student code can then read what this user can read).")
    if shutil.which("useradd") is None:
        return "useradd is not installed, so sandbox users cannot be created.\nFix: apt-get install passwd."
    import subprocess

    probe = subprocess.run(["unshare", "--mount", "--net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return (f"mount and network namespaces are not available here ({probe.stderr.strip()}).\n"
                "Fix: run the grader on a host or container allowed to create namespaces "
                "(e.g. docker run --privileged, or CAP_SYS_ADMIN).")
    return None


def run(out, db_url, submissions, isolation):
    """Every check of the coordinator's machine except the data (see prepare_data); raise PreflightFailed."""
    checks = (("nbgrader", check_nbgrader), ("isolation", lambda: check_isolation(isolation)),
              ("disk space", lambda: check_output_space(out, submissions)),
              ("gradebook", lambda: check_gradebook(db_url, out)))
    problems = [(what, message) for what, check in checks if (message := check())]
    if problems:
        raise PreflightFailed(problems)


def check_worker(data, data_dir, digests=True):
    """A worker's machine: nbgrader's version and the Dataset ``data`` at ``data_dir`` (its digests too,
    unless told not to; None: the assignment reads no data).

    Dask workers run it with digests before they get work; grading workers without, before every
    job (the coordinator or the Dask check verified the same files; this catches data gone since).
    Raises GraderFault: the submission in hand is not graded here (its row says grader-error).
    """
    problem = check_nbgrader()
    if problem:
        raise GraderFault(f"this grading worker: {problem}")
    if data is None or data_dir is None:
        return
    try:
        data.verify(data_dir, digests=digests)
    except DataUnavailable as exc:
        raise GraderFault(f"this grading worker cannot use {data.name}: {exc.finding}\nGive the worker the "
                          f"verified {data.name} files at that path ({data.env}), then rerun.") from None
