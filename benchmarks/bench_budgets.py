"""How much of each time budget the reference solution uses: the margin a course has.

Budgets that can cost points count the kernel's CPU time (autograder/kernel/task4_1/checks.py); wall-clock limits
only stop hangs (autograder/limits.py). This script runs the reference's classes under the hidden
tests' own code in this process, with one BLAS thread as every grading kernel has, and prints, for
each budget, the CPU seconds the reference used and the ratio budget / used.

    MNIST_DIR=/path/to/mnist .venv/bin/python benchmarks/bench_budgets.py
"""
import os

# numpy must see the thread cap before it is imported
os.environ.update({name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})

import contextlib
import io
import re
import sys
import time
import types

import numpy as np

from autograder.course import layout, synthetic_submissions
from autograder.course.notebook_code import cells_by_grade_id, strip_solution_markers
from autograder.kernel.task4_1 import checks
from autograder.limits import Limits

sys.path.insert(0, str(layout.SOURCE_DIR))
MARKERS = re.compile(r"### (BEGIN|END) HIDDEN TESTS\n?")


def reference_namespace():
    import gradcheck
    import mnist_loader

    namespace = {"np": np, "__name__": "__main__", "SimpleNamespace": types.SimpleNamespace,
                 "load_mnist": mnist_loader.load_mnist, **{n: getattr(gradcheck, n) for n in gradcheck.__all__}}
    answers = synthetic_submissions.reference_answers()
    for grade_id in layout.GRADED_CLASSES.values():
        exec(compile(answers[grade_id], f"<{grade_id}>", "exec"), namespace)
    return namespace


def test_cells():
    cells = cells_by_grade_id(layout.SOURCE_NOTEBOOK)
    return {gid: MARKERS.sub("", strip_solution_markers(c.source)) for gid, c in cells.items()
            if c.metadata["nbgrader"].get("grade") and c.cell_type == "code"}


def largest_step(namespace, data):
    """CPU seconds of the slowest training step of the MNIST test's schedule (one call's budget covers one)."""
    slowest = 0.0
    model, loss = namespace["MLP"](list(checks.MNIST_LAYERS)), namespace["CrossEntropyLoss"]()
    sgd = namespace["SGD"](0.1)
    X, y = data[0], data[1]
    for start in range(0, 200 * checks.MNIST_BATCH, checks.MNIST_BATCH):
        began = time.process_time()
        probs = model.forward(X[start:start + checks.MNIST_BATCH])
        loss.forward(probs, y[start:start + checks.MNIST_BATCH])
        model.backward(loss.backward())
        sgd.step(model)
        slowest = max(slowest, time.process_time() - began)
    return slowest


def main():
    namespace = reference_namespace()
    np.random.seed(42)
    rows = []
    for grade_id, source in test_cells().items():
        began, wall = time.process_time(), time.monotonic()
        with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
            exec(compile(source, f"<{grade_id}>", "exec"), namespace)
        cpu, elapsed = time.process_time() - began, time.monotonic() - wall
        limit = Limits.cell_timeout if grade_id == "test_mnist_accuracy" else Limits.quick_cell_timeout
        rows.append((f"cell {grade_id} (wall-clock hang limit)", cpu, elapsed, limit))
    data = namespace["load_mnist"](download=False, verbose=False)
    X_train, y_train = data[0], data[1]
    began = time.process_time()
    checks.train_and_score_mnist(namespace["MLP"], namespace["CrossEntropyLoss"], namespace["SGD"], data)
    rows.append(("MNIST training (CPU budget)", time.process_time() - began, None, checks.MNIST_TIME_LIMIT))
    rows.append(("one call: a training step (CPU budget)", largest_step(namespace, (X_train, y_train)), None,
                 checks.CALL_SECONDS))
    print(f"{'budget':62} {'reference CPU-s':>15} {'wall s':>7} {'budget s':>9} {'margin':>8}")
    for name, cpu, elapsed, budget in rows:
        wall = f"{elapsed:7.2f}" if elapsed is not None else f"{'':7}"
        print(f"{name:62} {cpu:15.3f} {wall} {budget:9g} {budget / max(cpu, 1e-6):7.0f}x")


if __name__ == "__main__":
    main()
