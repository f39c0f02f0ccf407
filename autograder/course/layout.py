"""Where things live: the repository, the assignment, and nbgrader's <step>/<student>/<assignment> layout."""
import pathlib

from autograder import assignment

REPO = pathlib.Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / "build" / "demo"  # `python -m autograder demo`'s scratch course
COURSE_ID = "dl-module4"  # nbgrader's course id: names the course in the exchange
SOURCE_ROOT = REPO / "source"
# The course's graded assignment, described in its folder's assignment.toml (autograder/assignment.py).
TASK = assignment.load(SOURCE_ROOT / "task4_1")
ASSIGNMENT = TASK.name
NOTEBOOK = TASK.notebook_stem

SOURCE_DIR = TASK.folder
RELEASE_DIR = REPO / "release" / ASSIGNMENT
SOURCE_NOTEBOOK = SOURCE_DIR / f"{NOTEBOOK}.ipynb"
RELEASE_NOTEBOOK = RELEASE_DIR / f"{NOTEBOOK}.ipynb"
# The ungraded companion notebook: an nbgrader assignment of its own (no graded cells), released,
# listed by Formgrader and fetched like the assignment. Its helper files are symlinks to the assignment's.
COMPANION = "task4_1_companion"
COMPANION_SOURCE_DIR = SOURCE_ROOT / COMPANION
COMPANION_RELEASE_DIR = REPO / "release" / COMPANION
COMPANION_NOTEBOOK = "02-activation-function-study"
RELEASED = (ASSIGNMENT, COMPANION)  # the folders of source/ that `python -m autograder release` generates
CONFIG_FILE = REPO / "nbgrader_config.py"
DATA_ROOT = REPO / "data"  # assignments' data, each in its folder, filled by `make data` (never committed)
SHARED_DATA_ROOT = REPO.parent / "shared" / "data"  # the build machines' copy beside the checkout
GRADEBOOK = "gradebook.db"  # nbgrader's SQLite gradebook in a course root

# The graded classes, each defined by one solution cell of this grade_id.
GRADED_CLASSES = TASK.classes


def student_dir(course_root, step, student_id):
    """Task 4.1's folder of one student's work in a course (Assignment.student_dir)."""
    return TASK.student_dir(course_root, step, student_id)


def student_notebook(course_root, step, student_id, suffix=".ipynb"):
    """Task 4.1's notebook inside student_dir (Assignment.student_notebook)."""
    return TASK.student_notebook(course_root, step, student_id, suffix)


def sqlite_url(course_root):
    """The SQLAlchemy URL of the SQLite gradebook in ``course_root`` (nbgrader's default place)."""
    return f"sqlite:///{pathlib.Path(course_root).resolve() / GRADEBOOK}"
