"""The gradient checker says what a wrong gradient suggests, and turns a shape error into its likely cause."""
import numpy as np
import pytest

from autograder.course import layout, synthetic_submissions
from tests import inprocess  # noqa: F401 - puts the course folder (gradcheck, mnist_loader) on sys.path


def classes(mutation=None):
    answers = synthetic_submissions.reference_answers()
    if mutation:
        answers = synthetic_submissions.mutate(answers, *mutation)
    namespace = {"np": np}
    for cell in layout.GRADED_CLASSES.values():
        exec(answers[cell], namespace)
    return namespace


@pytest.mark.parametrize("mutation, check, expected", [
    (("linear", "self.dW = X.T @ dZ / batch_size", "self.dW = X.T @ dZ"), "layer",
     "dW (mean) is 5 (the batch size) times the right value: summed over the batch instead of averaged?"),
    (("linear", "return dZ @ self.W.T", "return dZ @ self.W.T / batch_size"), "layer",
     "dX is the right value divided by 5 (the batch size): divided where the convention does not?"),
    (("cross_entropy", "return grad", "return grad / len(grad)"), "loss",
     "dlogits is the right value divided by 4 (the batch size)"),
])
def test_a_wrong_multiple_of_the_gradient_is_named(capsys, mutation, check, expected):
    import gradcheck

    ns = classes(mutation)
    rng = np.random.default_rng(0)
    if check == "layer":
        assert not gradcheck.check_layer(ns["Linear"](4, 3), rng.standard_normal((5, 4)))
    else:
        assert not gradcheck.check_loss(ns["Softmax"](), ns["CrossEntropyLoss"](), rng.standard_normal((4, 5)),
                                        [0, 3, 1, 4])
    assert expected in capsys.readouterr().out


def test_a_right_gradient_gets_no_hint(capsys):
    import gradcheck

    ns = classes()
    assert gradcheck.check_layer(ns["Linear"](4, 3), np.random.default_rng(0).standard_normal((5, 4)))
    assert "->" not in capsys.readouterr().out


def test_a_shape_error_is_reported_with_its_likely_cause(capsys):
    import gradcheck

    ns = classes(("linear", "return dZ @ self.W.T", "return dZ @ self.W"))
    assert not gradcheck.check_layer(ns["Linear"](4, 3), np.random.default_rng(0).standard_normal((5, 4)))
    out = capsys.readouterr().out
    assert "backward raised ValueError" in out and "a shape mismatch: print the shapes" in out


def test_the_notebooks_example_table_is_what_the_checker_prints(capsys):
    """Part 2 shows the checker's table for a summed dW: it must be the checker's own output, hint line included."""
    import re

    import gradcheck
    import nbformat

    text = "\n".join(cell.source for cell in nbformat.read(str(layout.SOURCE_NOTEBOOK), as_version=4).cells
                     if cell.cell_type == "markdown")
    shown = re.search(r"```\n(Linear on a \(5, 4\) input.*?)```", text, re.DOTALL)
    assert shown, "Part 2 no longer shows the checker's table for a summed dW"
    ns = classes(("linear", "self.dW = X.T @ dZ / batch_size", "self.dW = X.T @ dZ"))
    np.random.seed(0)
    gradcheck.check_layer(ns["Linear"](4, 3), np.random.randn(5, 4))   # the call the notebook shows
    assert capsys.readouterr().out == shown[1]
