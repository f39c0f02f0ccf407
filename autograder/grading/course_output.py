"""The grade command's output folder as an nbgrader course: what Formgrader and the exchange expect in it.

- ``nbgrader_config.py``: written when the folder has none (a plain output folder, with no
  exchange); a course folder's own file (the hub's, say) is never replaced, and is where the
  class's late-work policy is read from;
- ``source/<assignment>/``: Formgrader lists assignments from it; without it Manual Grading shows
  "No data available in table";
- the students' names in the gradebook, from a roster (Manage Students shows "None, None" otherwise);
- ``feedback/<student>/<assignment>/``: nbgrader's layout, with the submission's timestamp.txt and
  submission_secret.txt, so `nbgrader release_feedback` returns the pages through the exchange;
- run as root, everything in it is given to whoever will open it (``owner_of``: the folder's
  owner, the account that ran sudo, or the owner of the folder around it), so their Formgrader runs
  as them, never as root, and can write the gradebook.
"""
import os
import pathlib
import shutil

from autograder.course import layout, ownership
from autograder.course.atomic_files import write_atomically

MARK = "Written by `python -m autograder grade`"


def config_path(out):
    return pathlib.Path(out) / "nbgrader_config.py"


def policy_config(out):
    """The nbgrader_config.py that rules this class: the folder's own, else the repository's."""
    path = config_path(out)
    return path if path.is_file() else layout.CONFIG_FILE


def is_ours(path):
    try:
        return MARK in path.read_text(errors="replace")[:200]
    except FileNotFoundError:
        return True


def write_config(out, db_url=None):
    """out/nbgrader_config.py unless the folder is a course with its own; it has no exchange."""
    from autograder.nbgrader_ext.no_exchange import CONFIG_LINES

    path = config_path(out)
    if not is_ours(path):
        return False
    lines = [f'"""{MARK}: this folder is an nbgrader course.',
             "",
             "Run `jupyter lab` here for Formgrader (manual grading), `nbgrader export` for nbgrader's CSV",
             "(nbgrader-grades.csv), `python -m autograder publish` to carry manual scores into grades.csv",
             "and feedback. Due dates and late work: add c.LatePolicy settings below (see the repository's",
             'nbgrader_config.py) and rerun `grade` or `publish`."""',
             "c = get_config()  # noqa: F821 - provided by nbgrader",
             f"load_subconfig({str(layout.CONFIG_FILE)!r})  # noqa: F821 (the course's stages and limits)",
             "c.ExportPlugin.to = 'nbgrader-grades.csv'  # not over grades.csv",
             "# no exchange here: Formgrader lists nothing to release and says so when asked to",
             *CONFIG_LINES]
    if db_url:
        lines.append(f"c.CourseDirectory.db_url = {db_url!r}")
    write_atomically(path, "\n".join(lines) + "\n", permissions=0o600)  # a --db URL may hold a password
    return True


def ensure_source(out, template_root, task):
    """source/<assignment>/ and release/<assignment>/ from the course at ``template_root`` (the grading
    template: the assignment the gradebook holds; the report compares submissions with the release), unless
    present."""
    for step in ("source", "release"):
        target, given = pathlib.Path(out) / step / task.name, pathlib.Path(template_root) / step / task.name
        if not target.exists() and (step == "source" or given.is_dir()):
            shutil.copytree(given, target)


def graded_assignment(out):
    """The Assignment a class in ``out`` was graded on: the one folder ensure_source put in its source/."""
    from autograder import assignment
    from autograder.errors import UserError

    found = assignment.graded_in(pathlib.Path(out) / "source")
    if len(found) != 1:
        raise UserError(f"{out}/source/ holds {len(found)} graded assignments ({', '.join(found) or 'none'}), not "
                        "the one `python -m autograder grade` copied there: give that command's --out folder")
    return next(iter(found.values()))


def feedback_page(out, student_id, task):
    return task.student_notebook(out, "feedback", student_id, ".html")


def write_submission_files(folder, submission_files):
    """timestamp.txt and submission_secret.txt beside a feedback page or autograded notebook."""
    for name, text in submission_files.items():
        if text is not None:
            write_atomically(pathlib.Path(folder) / name, text)


def owner_of(out):
    """(uid, gid) of whoever will open ``out`` (Formgrader, the report), or None when that is root.

    The folder's owner when it is not root (an instructor's course folder on the hub); else the
    account that ran ``sudo`` (SUDO_UID), as the guides' ``sudo .venv/bin/python -m autograder grade``
    does; else the owner of the folder it sits in (a checkout the instructor cloned).
    """
    out = pathlib.Path(out).resolve()
    folder = out.stat()
    if folder.st_uid != 0:
        return folder.st_uid, folder.st_gid
    if os.environ.get("SUDO_UID", "").isdigit() and int(os.environ["SUDO_UID"]) != 0:
        return int(os.environ["SUDO_UID"]), int(os.environ.get("SUDO_GID") or os.environ["SUDO_UID"])
    parent = out.parent.stat()
    return (parent.st_uid, parent.st_gid) if parent.st_uid != 0 else None


def give_to_owner(out):
    """Run as root: make everything in ``out`` belong to whoever will open it (owner_of), so that their
    Formgrader starts without --allow-root and can write the gradebook."""
    owner = owner_of(out) if os.geteuid() == 0 else None
    if owner is not None:
        ownership.chown_tree(out, *owner)
