"""The hidden halves of the visible test cells: the visible example repeated on unseen inputs.

Each check must pass the reference classes and fail a class that only knows the
visible example (returns the example's expected numbers, and garbage elsewhere).
"""
import numpy as np
import pytest

from autograder.course.notebook_code import load_classes
from autograder.kernel.task4_1 import checks

REFERENCE = load_classes()


def memorised(cls, method, example_input, example_output):
    """``cls`` whose ``method`` answers the visible example correctly and everything else with zeros."""
    original = getattr(cls, method)

    def answer(self, *args):
        if args and np.shape(args[0]) == np.shape(example_input) and np.allclose(args[0], example_input):
            original(self, *args)
            return np.array(example_output)
        result = original(self, *args)
        return np.zeros_like(np.asarray(result, dtype=float))

    return type(f"Memorised{cls.__name__}", (cls,), {method: answer})


CASES = {
    "linear": ("Linear", "forward", [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]], [[2.1, 5.8], [-0.9, 1.8]]),
    "relu": ("ReLU", "forward", [[-2.0, -0.5, 0.0, 0.5, 3.0]], [[0.0, 0.0, 0.0, 0.5, 3.0]]),
    "softmax": ("Softmax", "forward", [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]],
                [[0.09003057, 0.24472847, 0.66524096], [1 / 3] * 3]),
    "cross_entropy": ("CrossEntropyLoss", "forward", [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]],
                      -(np.log(0.7) + np.log(0.8)) / 2),
    "mlp": ("MLP", "count_parameters", None, 235_146),
}


@pytest.mark.parametrize("short", [*CASES, "sgd", "momentum"])
def test_reference_passes_the_example_checks(short):
    name = {"sgd": "SGD", "momentum": "SGDMomentum"}.get(short) or CASES[short][0]
    getattr(checks, f"check_{short}_example_generalises")(REFERENCE[name])


@pytest.mark.parametrize("short", CASES)
def test_a_memorised_example_fails(short):
    name, method, example_input, example_output = CASES[short]
    if method == "count_parameters":
        cls = type("MemorisedMLP", (REFERENCE["MLP"],), {"count_parameters": lambda self: example_output})
    else:
        cls = memorised(REFERENCE[name], method, example_input, example_output)
    with pytest.raises(AssertionError, match="passes the visible example but not"):
        getattr(checks, f"check_{short}_example_generalises")(cls)


@pytest.mark.parametrize("short, name", [("sgd", "SGD"), ("momentum", "SGDMomentum")])
def test_an_optimizer_that_only_knows_the_toy_layer_fails(short, name):
    def step(self, model):  # moves only 1x1 and 1x2 toy weights, as in the visible examples
        for layer in model.layers:
            if layer.W.size <= 2:
                REFERENCE[name].step(self, model)

    cls = type(f"Memorised{name}", (REFERENCE[name],), {"step": step})
    with pytest.raises(AssertionError, match="passes the visible example but not"):
        getattr(checks, f"check_{short}_example_generalises")(cls)
