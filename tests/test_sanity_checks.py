"""The notebook's two sanity checks (initial loss near ln 10, 100 images learned by heart) pass on the
solution and on every correct style, and stop a broken network before its long run."""
import numpy as np
import pytest

from autograder.course import layout, synthetic_submissions
from autograder.course.notebook_code import cells_by_grade_id, strip_solution_markers
from tests.corpus import all_submissions


def sanity_cell():
    import nbformat

    notebook = nbformat.read(str(layout.SOURCE_NOTEBOOK), as_version=4)
    return next(c.source for c in notebook.cells if c.cell_type == "code" and "Both sanity checks passed" in c.source)


def run_sanity(answers, mnist):
    import time

    from tqdm.auto import tqdm

    namespace = {"np": np, "GRADING": False, "time": time, "tqdm": tqdm}
    for cell in layout.GRADED_CLASSES.values():
        exec(answers[cell], namespace)
    exec(strip_solution_markers(cells_by_grade_id(layout.SOURCE_NOTEBOOK)["training_loop"].source), namespace)
    namespace["X_train"], namespace["y_train"] = mnist[0][:1000], mnist[1][:1000]
    exec(sanity_cell(), namespace)


@pytest.fixture(scope="module")
def mnist(mnist_available):
    return layout.TASK.data.load_loader().load_mnist(verbose=False)


def test_the_solution_passes_both(mnist):
    run_sanity(synthetic_submissions.reference_answers(), mnist)


@pytest.mark.parametrize("mutation, message", [
    (("linear", "std = np.sqrt(2.0 / in_features)", "std = 10 * np.sqrt(2.0 / in_features)"), "initial"),
    (("sgd", "layer.W -= self.lr * layer.dW", "layer.W += self.lr * layer.dW"), "by heart"),
    (("cross_entropy", 'grad[np.arange(len(self.cache["targets"])), self.cache["targets"]] -= 1', "pass"),
     "by heart"),
])
def test_a_broken_network_is_stopped_with_the_likely_cause(mnist, mutation, message):
    answers = synthetic_submissions.mutate(synthetic_submissions.reference_answers(), *mutation)
    with pytest.raises(AssertionError, match=message):
        run_sanity(answers, mnist)


@pytest.mark.parametrize("style", [name for name in all_submissions() if name.startswith("style-")])
def test_correct_styles_pass_both(mnist, style):
    run_sanity(all_submissions()[style], mnist)
