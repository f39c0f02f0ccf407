import concurrent.futures
import os
import shutil
import sys

import pytest

from autograder.course import environment, layout, synthetic_submissions
from autograder.course.scratch_course import Course

# The loader in source/ must find MNIST without network access: the copy that ships with the course.
os.environ.setdefault(layout.TASK.data.env, str(environment.data_dir()))


@pytest.fixture(scope="session")
def mnist_available():
    sys.path.insert(0, str(layout.SOURCE_DIR))
    import mnist_loader
    try:
        mnist_loader.load_mnist(download=False, verbose=False)
    except mnist_loader.MNISTError as exc:
        pytest.fail(f"MNIST is needed for the grading tests: {exc}")
    return True


# Tiers are markers on the tests themselves: `kernel` (a file's `pytestmark`) for what runs notebooks in
# Jupyter kernels, `browser` and `hub` (their folders' conftest). `make test-fast` deselects them, and
# in that run starting a kernel fails at once, naming the test, so a kernel test cannot land there unmarked.
def pytest_configure(config):
    if "not kernel" in (config.getoption("markexpr") or ""):
        refuse_kernels()


def refuse_kernels():
    """Make every way the project starts a kernel raise: in-process (nbclient), nbgrader, the grader."""
    from jupyter_client.manager import KernelManager

    from autograder.course import run_nbgrader
    from autograder.grading import class_run, grade_one

    def refuse(what):
        raise RuntimeError(f"{what} in the fast tier: this test needs a Jupyter kernel, so mark it "
                           "`kernel` (pytestmark = pytest.mark.kernel in its file) and it runs in make test")

    async def no_kernel(self, *args, **kwargs):
        refuse("a Jupyter kernel was started")

    run_any = run_nbgrader.run

    def nbgrader_without_kernels(args, *rest, **kwargs):
        if args and args[0] in ("autograde", "validate"):
            refuse(f"nbgrader {args[0]} (runs a kernel)")
        return run_any(args, *rest, **kwargs)

    KernelManager._async_pre_start_kernel = no_kernel
    run_nbgrader.run = nbgrader_without_kernels
    grade_one.grade_one = lambda *args, **kwargs: refuse("grade_one (runs a kernel)")
    class_run.run = lambda *args, **kwargs: refuse("a class run (runs kernels)")


# ---------------------------------------------------------------- plain nbgrader on the whole corpus

class GradedCorpus:
    """The corpus graded by plain nbgrader in two scratch courses side by side (2 cores: half the wait)."""

    def __init__(self, courses, placement):
        self.courses, self.placement = courses, placement

    def course(self, student):
        return self.courses[self.placement[student]]

    def grades(self):
        return {student: grades for course in self.courses for student, grades in course.grades().items()}

    def each_course(self, work):
        """``work(course)`` for both courses at once, numpy's BLAS on one thread each."""
        saved = dict(os.environ)
        os.environ.update(environment.blas_thread_env(1))
        try:
            with concurrent.futures.ThreadPoolExecutor(len(self.courses)) as pool:
                list(pool.map(work, self.courses))
        finally:
            os.environ.clear()
            os.environ.update(saved)


@pytest.fixture(scope="session")
def graded(tmp_path_factory, mnist_available):
    """The corpus graded by plain `nbgrader autograde` (test_nbgrader_on_corpus.py; the oracle of
    test_grade_command.py)."""
    from tests.corpus import all_submissions

    root = tmp_path_factory.mktemp("grading")
    courses = [Course.create(root / "a"), Course.create(root / "b")]
    release_notebook = [course.generate_assignment() for course in courses][0] / f"{layout.NOTEBOOK}.ipynb"
    students = {
        "reference-solution": synthetic_submissions.build(synthetic_submissions.reference_answers(), release_notebook),
        "blank": synthetic_submissions.build({}, release_notebook),
        **{name: synthetic_submissions.build(answers, release_notebook) for name, answers in all_submissions().items()},
        **{name: synthetic_submissions.build(answers, release_notebook) for name, answers in planted_copies().items()},
    }
    placement = {student: index % 2 for index, student in enumerate(students)}
    for student, notebook in students.items():
        synthetic_submissions.write(notebook, courses[placement[student]].submission_path(student))
    # the solution notebook itself, exactly as instructors keep it
    courses[1].submit("source-notebook", layout.SOURCE_NOTEBOOK)
    placement["source-notebook"] = 1
    corpus = GradedCorpus(courses, placement)
    corpus.each_course(lambda course: course.autograde())
    return corpus, corpus.grades()


# Disguised copies of two corpus styles (tests/similarity_class.py), graded with the corpus: the class
# report must flag them and nothing else (test_nbgrader_on_corpus.py).
PLANTED_COPIES = {"copy-of-np_dot_where": ("style-np_dot_where", ("rename", "reformat", "reorder", "comments")),
                  "copy-of-inplace_updates": ("style-inplace_updates", ("rename", "comments"))}


def planted_copies():
    from tests.corpus import all_submissions
    from tests.similarity_class import disguise

    corpus = all_submissions()
    return {copy: {**corpus[original], **disguise(corpus[original], steps, seed=index)}
            for index, (copy, (original, steps)) in enumerate(PLANTED_COPIES.items())}


# ---------------------------------------------------------------- a real Chromium (browser and hub tiers)

def chromium_executable():
    """Debian's chromium (Playwright's own browser download is not available here)."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no Chromium: install Debian's package (apt-get install chromium) or set CHROMIUM=/path/to/it")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable(),
                                              args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()
