"""The grade command's output folder as an nbgrader course: what Formgrader and the exchange expect in it.

- ``nbgrader_config.py``: written when the folder has none (a plain output folder, with no
  exchange); a course folder's own file (the hub's, say) is never replaced, and is where the
  class's late-work policy is read from;
- ``source/<assignment>/``: Formgrader lists assignments from it; without it Manual Grading shows
  "No data available in table";
- the students' names in the gradebook, from a roster (Manage Students shows "None, None" otherwise);
- ``feedback/<student>/<assignment>/``: nbgrader's layout, with the submission's timestamp.txt and
  submission_secret.txt, so `nbgrader release_feedback` returns the pages through the exchange;
- run as root on a folder someone else owns (an instructor's course on the hub), everything in it
  is given back to that owner, so their Formgrader can write the gradebook.
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


def ensure_source(out, template_root):
    """source/<assignment>/ from the grading template (the assignment the gradebook holds), unless present."""
    target = pathlib.Path(out) / "source" / layout.ASSIGNMENT
    if not target.exists():
        shutil.copytree(pathlib.Path(template_root) / "source" / layout.ASSIGNMENT, target)


def feedback_page(out, student_id):
    return layout.student_notebook(out, "feedback", student_id, ".html")


def write_submission_files(folder, submission_files):
    """timestamp.txt and submission_secret.txt beside a feedback page or autograded notebook."""
    for name, text in submission_files.items():
        if text is not None:
            write_atomically(pathlib.Path(folder) / name, text)


def give_to_owner(out):
    """Run as root on a folder another user owns: make everything in it theirs again."""
    owner = pathlib.Path(out).stat()
    if os.geteuid() == 0 and owner.st_uid != 0:
        ownership.chown_tree(out, owner.st_uid, owner.st_gid)
