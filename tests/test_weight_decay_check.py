"""The optional weight-decay part: its visible check passes the reference, says "not attempted" for the
stub students receive, and fails every wrong variant of the penalty or its gradient. No kernel, no points."""
import contextlib
import io

import numpy as np
import pytest

from autograder.course import layout, synthetic_submissions
from autograder.course.notebook_code import cells_by_grade_id, strip_solution_markers
from tests import inprocess  # noqa: F401  (puts the course's gradcheck.py on sys.path)

CELLS = cells_by_grade_id(layout.SOURCE_NOTEBOOK)
REFERENCE = strip_solution_markers(CELLS["weight_decay"].source)
STUB = '''def add_weight_decay(model, weight_decay):
    """Add weight_decay * W to every dW; return the penalty."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''


def wrong(old, new):
    assert REFERENCE.count(old) == 1, old
    return REFERENCE.replace(old, new)


WRONG = {
    "penalty without the half": wrong("penalty += 0.5 * weight_decay", "penalty += weight_decay"),
    "gradient twice lambda W": wrong("layer.dW + weight_decay * layer.W", "layer.dW + 2 * weight_decay * layer.W"),
    "gradient subtracts lambda W": wrong("layer.dW + weight_decay * layer.W", "layer.dW - weight_decay * layer.W"),
    "dW replaced by lambda W": wrong("layer.dW + weight_decay * layer.W", "weight_decay * layer.W"),
    "biases decayed too": wrong("        penalty +=", "        layer.db = layer.db + weight_decay * layer.b\n"
                                                   "        penalty +="),
    "penalty not returned": wrong("    return penalty", "    return None"),
    "only the first layer": wrong("    for layer in model.layers:", "    for layer in model.layers[:1]:"),
}


def run_check(definition):
    """The check cell's printed text; raises what it raises."""
    namespace = {"np": np}
    for grade_id in layout.GRADED_CLASSES.values():
        exec(compile(synthetic_submissions.reference_answers()[grade_id], grade_id, "exec"), namespace)
    exec(compile(definition, "weight_decay", "exec"), namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(CELLS["weight_decay_check"].source, "weight_decay_check", "exec"), namespace)
    return out.getvalue()


def test_the_reference_passes():
    assert "agree with centred differences" in run_check(REFERENCE)


def test_the_stub_is_reported_as_not_attempted():
    assert "not attempted" in run_check(STUB)


@pytest.mark.parametrize("definition", WRONG.values(), ids=WRONG.keys())
def test_a_wrong_weight_decay_fails_the_check(definition):
    with pytest.raises(AssertionError):
        run_check(definition)


def test_the_release_hands_out_the_stub_not_the_solution():
    released = cells_by_grade_id(layout.RELEASE_NOTEBOOK)["weight_decay"].source
    assert "raise NotImplementedError()" in released and "penalty +=" not in released
    assert not released.strip().startswith("### BEGIN SOLUTION")
