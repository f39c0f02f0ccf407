"""Where things live: the repository, the assignment, and nbgrader's <step>/<student>/<assignment> layout."""
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
ASSIGNMENT = "task4_1"
NOTEBOOK = "numpy_neural_network"

SOURCE_DIR = REPO / "source" / ASSIGNMENT
RELEASE_DIR = REPO / "release" / ASSIGNMENT
SOURCE_NOTEBOOK = SOURCE_DIR / f"{NOTEBOOK}.ipynb"
RELEASE_NOTEBOOK = RELEASE_DIR / f"{NOTEBOOK}.ipynb"
CONFIG_FILE = REPO / "nbgrader_config.py"

# The graded classes, each defined by one solution cell of this grade_id.
GRADED_CLASSES = {
    "Linear": "linear",
    "ReLU": "relu",
    "Softmax": "softmax",
    "CrossEntropyLoss": "cross_entropy",
    "MLP": "mlp",
    "SGD": "sgd",
    "SGDMomentum": "sgd_momentum",
}


def student_dir(course_root, step, student_id):
    """nbgrader's folder of one student's assignment in a course: <root>/<step>/<student>/<assignment>."""
    return pathlib.Path(course_root) / step / student_id / ASSIGNMENT


def student_notebook(course_root, step, student_id):
    """The assignment's notebook inside student_dir (step: submitted, autograded, ...)."""
    return student_dir(course_root, step, student_id) / f"{NOTEBOOK}.ipynb"
