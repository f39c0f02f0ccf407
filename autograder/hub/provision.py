"""Provisioning the hub's disk: nbgrader's exchange, each role's Jupyter configuration, the instructor's course folder.

Permissions, as nbgrader documents them and a little tighter:
- the exchange root is world-writable with the sticky bit (nbgrader checks every user can write it);
  the course's folder in it is made here, owned by the instructor, so no student can claim it first;
- ``inbound`` (submissions) is write-only for students, nbgrader's 2733 plus the sticky bit: they can
  add a submission but neither list the others nor remove one; ``outbound`` (the release) is readable;
  ``feedback`` is 0711: a student reaches only the page whose name their own submission's secret gives.
- each role's Jupyter configuration folder is ``JUPYTER_CONFIG_DIR`` of its servers: the students'
  one is root's and read-only to them, so they cannot turn Formgrader or Create Assignment back on;
- the instructor's course folder and a private copy of the grader (the course's nbgrader stages,
  which Formgrader's buttons need) live in the instructor's home (0700).
"""
import json
import os
import pathlib
import shutil
import stat

from autograder.course import environment, layout
from autograder.dataset import DataUnavailable
from autograder.hub import accounts

STATE = pathlib.Path(os.environ.get("TASK41_HUB_STATE", "/srv/task41-hub"))
EXCHANGE = pathlib.Path(os.environ.get("TASK41_HUB_EXCHANGE", "/srv/nbgrader/exchange"))

STUDENT_HIDDEN_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                          "@jupyter/nbgrader:course-list", "task41-preliminary-queue-link:menu")
STUDENT_OFF_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")
# JupyterLab's news pop-up and update check: nothing to announce on a course hub
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}

INBOUND_MODE = stat.S_ISGID | stat.S_ISVTX | 0o733
OUTBOUND_MODE = 0o755
FEEDBACK_MODE = 0o711


def course_root(instructor):
    return accounts.home(instructor) / layout.COURSE_ID


def grader_copy(instructor):
    return accounts.home(instructor) / ".task41" / "grader"


def instructor_config_dir(instructor):
    """The JUPYTER_CONFIG_DIR of the instructor's server (theirs to change)."""
    return accounts.home(instructor) / ".task41" / "jupyter"


STUDENT_CONFIG_DIR = STATE / "config" / "student"  # the students' JUPYTER_CONFIG_DIR: root's, read-only to them


def _write(path, text, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _mkdir(path, mode, owner=None):
    path.mkdir(parents=True, exist_ok=True)
    if owner is not None:
        shutil.chown(path, owner, owner)
    path.chmod(mode)


def exchange_lines():
    return [f"c.CourseDirectory.course_id = {layout.COURSE_ID!r}", f"c.Exchange.root = {str(EXCHANGE)!r}"]


def setup_exchange(instructor):
    """The exchange root and the course's folders in it, owned by the instructor."""
    _mkdir(EXCHANGE, 0o1777)
    course = EXCHANGE / layout.COURSE_ID
    _mkdir(course, 0o755, instructor)
    _mkdir(course / "inbound", INBOUND_MODE, instructor)
    _mkdir(course / "outbound", OUTBOUND_MODE, instructor)
    _mkdir(course / "feedback", FEEDBACK_MODE, instructor)


def setup_student_config():
    folder = STUDENT_CONFIG_DIR
    _mkdir(folder.parent, 0o755)
    _mkdir(folder, 0o755)
    # nbgrader's submit leaves a submission open to everyone (0777); theirs keeps it to the staff. The
    # students' servers cannot import the grader, so its one file sits beside this configuration.
    shutil.copy(layout.REPO / "autograder" / "nbgrader_ext" / "private_submit.py", folder / "private_submit.py")
    (folder / "private_submit.py").chmod(0o644)
    lines = ["c = get_config()  # noqa: F821 - provided by nbgrader", *exchange_lines(),
             "import sys", f"sys.path.insert(0, {str(folder)!r})",
             "from private_submit import PrivateSubmit  # noqa: E402 - after the path that finds it",
             "c.ExchangeFactory.submit = PrivateSubmit"]
    _write(folder / "nbgrader_config.py", "\n".join(lines) + "\n")
    _write(folder / "jupyter_server_config.json", json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_OFF_SERVER_EXTENSIONS}}}, indent=1))
    _write(folder / "labconfig" / "page_config.json", json.dumps(
        {"disabledExtensions": {name: True for name in STUDENT_HIDDEN_PLUGINS},
         "lockedExtensions": {name: True for name in STUDENT_HIDDEN_PLUGINS}}, indent=1))
    (folder / "labconfig").chmod(0o755)
    _write(folder / "migrated", "")  # jupyter_core would try to write it at every start (the folder is read-only)


def setup_instructor(instructor, log=print):
    """The private grader copy, the Jupyter configuration and (once) the course folder of ``instructor``."""
    home = accounts.home(instructor)
    copy = grader_copy(instructor)
    shutil.rmtree(copy, ignore_errors=True)  # refreshed on every start: the repository's grader is the truth
    shutil.copytree(layout.REPO / "autograder", copy / "autograder",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(layout.CONFIG_FILE, copy / "nbgrader_config.py")
    # each graded assignment's folder, whose assignment.toml the grader reads (autograder/assignment.py)
    shutil.copytree(layout.SOURCE_DIR, copy / "source" / layout.ASSIGNMENT,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))

    root = course_root(instructor)
    config = root / "nbgrader_config.py"
    _write(instructor_config_dir(instructor) / "nbgrader_config.py",
           f'c = get_config()  # noqa: F821 - provided by nbgrader\n'
           f'load_subconfig({str(config)!r})  # noqa: F821 - provided by nbgrader (the course folder\'s config)\n')
    if not config.exists():
        _write(config, COURSE_CONFIG.format(grader=str(copy / "nbgrader_config.py"), root=str(root),
                                            exchange="\n".join(exchange_lines())))
        log(f"  course folder {root} created with its nbgrader_config.py (due dates and late work go there)")
    for name in layout.RELEASED:  # the assignment and its ungraded companion: Formgrader lists both
        if not (root / "source" / name).exists():  # symlinks (the companion's helper files) become copies
            shutil.copytree(layout.REPO / "source" / name, root / "source" / name,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    accounts.chown_tree(home / ".task41", instructor)
    accounts.chown_tree(root, instructor)
    for folder in (home / ".task41", copy):
        folder.chmod(0o700)


COURSE_CONFIG = '''"""nbgrader configuration of this course folder.

Written once by `python -m autograder hub`; yours to edit.

Formgrader and nbgrader commands use it; so does `python -m autograder grade ... --out` this folder.
"""
c = get_config()  # noqa: F821 - provided by nbgrader
load_subconfig({grader!r})  # noqa: F821 (the course's grading stages and limits)
c.CourseDirectory.root = {root!r}
c.ExportPlugin.to = "nbgrader-grades.csv"  # `grade` writes grades.csv here
{exchange}

# Due dates and late work (autograder/late_work.py), for example:
# c.LatePolicy.due_dates = {{"task4_1": "2027-01-15 17:00 Europe/Berlin"}}
# c.LatePolicy.extensions = {{"task4_1": {{"alice": "2027-01-18 17:00 Europe/Berlin"}}}}

# Preliminary feedback on submit (docs/hub.md), for example:
# c.PreliminaryFeedback.max_graded = 3  # graded submissions per student in any window_hours
# c.PreliminaryFeedback.window_hours = 24
# c.PreliminaryFeedback.quiet_minutes_before_due = 60  # none this close to a student's due date
# c.PreliminaryFeedback.shows = "named"  # or "points", or "visible"; never hidden test code
'''


def setup_data():
    """A copy of the assignment's data every user can read (the notebook's loader finds it through its
    variable); None if it reads none or the copy is incomplete (students' loader will download)."""
    data = layout.TASK.data
    if data is None:
        return None
    source, target = environment.data_dir(), STATE / data.folder
    _mkdir(target, 0o755)
    files = data.load_loader().FILES
    for name in files:
        stored = next((f"{name}{ext}" for ext in (".gz", "") if (source / f"{name}{ext}").is_file()), None)
        if stored and not (target / stored).exists():
            shutil.copy(source / stored, target / stored)
        if stored:
            (target / stored).chmod(0o644)
    try:
        return data.verify(target, digests=False)
    except DataUnavailable:
        return None


def setup(instructor, log=print):
    """Everything on disk the hub needs; returns the data's folder (None: students' loader will download)."""
    _mkdir(STATE, 0o711)
    setup_exchange(instructor)
    setup_student_config()
    setup_instructor(instructor, log)
    return setup_data()


def lab_overrides(venv):
    """JupyterLab's settings defaults for every user of the hub's environment (no news pop-up)."""
    _write(pathlib.Path(venv) / "share" / "jupyter" / "lab" / "settings" / "overrides.json",
           json.dumps(LAB_OVERRIDES, indent=1))
