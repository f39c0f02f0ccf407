"""Run a submission's class cells and the source notebook's test cells in this process.

A fast stand-in for nbgrader (no kernel, no MNIST unless asked) used to iterate
on the checks; the nbgrader runs in test_nbgrader_on_corpus.py remain the authority.
"""
import contextlib
import io
import re
import sys
import types

import numpy as np

from autograder.course import layout
from autograder.course.notebook_code import cells_by_grade_id, strip_solution_markers
from autograder.kernel.task4_1 import diagnoses

if str(layout.SOURCE_DIR) not in sys.path:  # mnist_loader
    sys.path.insert(0, str(layout.SOURCE_DIR))

SLOW_TESTS = {"test_mnist_accuracy"}


def test_cells():
    cells = cells_by_grade_id(layout.SOURCE_NOTEBOOK)
    return {gid: c for gid, c in cells.items() if c.metadata["nbgrader"].get("grade") and c.cell_type == "code"}


HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.DOTALL)


def run_visible(answers):
    """{test grade_id: None if passed else the failure message}: only what students see, hidden regions cut."""
    return run(answers, include_slow=False, hidden=False)


def run(answers, include_slow=False, hidden=True):
    """{test grade_id: None if passed else the failure message} for one submission."""
    return {gid: None if exc is None else f"{type(exc).__name__}: {exc}"
            for gid, exc in outcomes(answers, include_slow, hidden).items()}


def run_diagnosed(answers, include_slow=False):
    """{failed test grade_id: the diagnosis its failure carries, or diagnoses.UNNAMED}."""
    return {gid: diagnoses.of_exception(exc) or diagnoses.UNNAMED
            for gid, exc in outcomes(answers, include_slow, hidden=True).items() if exc is not None}


def outcomes(answers, include_slow, hidden):
    """{test grade_id: None if passed else the exception it raised}."""
    import gradcheck

    np.random.seed(42)  # as the notebook's setup cell does
    namespace = {"np": np, "__name__": "__main__", "SimpleNamespace": types.SimpleNamespace,
                 **{name: getattr(gradcheck, name) for name in gradcheck.__all__}}
    for grade_id in layout.GRADED_CLASSES.values():
        exec(compile(answers[grade_id], f"<{grade_id}>", "exec"), namespace)
    if include_slow:
        import mnist_loader
        namespace["load_mnist"] = mnist_loader.load_mnist
    results = {}
    for grade_id, cell in test_cells().items():
        if grade_id in SLOW_TESTS and not include_slow:
            continue
        source = strip_solution_markers(cell.source)
        source = HIDDEN_REGION.sub("", source) if not hidden else source.replace("### BEGIN HIDDEN TESTS\n", "") \
            .replace("### END HIDDEN TESTS\n", "").replace("### END HIDDEN TESTS", "")
        try:
            with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
                exec(compile(source, f"<{grade_id}>", "exec"), namespace)
            results[grade_id] = None
        except Exception as exc:  # noqa: BLE001 - a failing test cell, whatever it raised
            results[grade_id] = exc
    return results
