"""The ungraded companion notebook, the assignment task4_1_companion (source/task4_1_companion/, released
to release/task4_1_companion/ like task4_1): committed clean, independent of the solutions and the
grader, runs end to end without errors or warnings as students receive it, and the assignment's
pointer to it resolves."""
import pathlib
import re
import time

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import environment, layout

pytestmark = pytest.mark.kernel  # starts Jupyter kernels: make test, not make test-fast

NAME = f"{layout.COMPANION_NOTEBOOK}.ipynb"
COMPANION = layout.COMPANION_SOURCE_DIR / NAME
RELEASED = layout.COMPANION_RELEASE_DIR / NAME  # what students run: the helper files beside it are copies
CELL_TIMEOUT = 120   # seconds per cell
TOTAL_BUDGET = 180   # seconds for the whole notebook; it takes well under a minute on 2 cores

FORBIDDEN = re.compile(r"\b(source|autograder)\b")
IMPORT_LINE = re.compile(r"^\s*(import|from)\s")
# [text](target) or [text](<target> "title"), and reference definitions [label]: target
INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)


def load(path):
    return nbformat.read(str(path), as_version=4)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("path", [COMPANION, RELEASED], ids=["source", "release"])
def test_committed_without_outputs(path):
    notebook = load(path)
    dirty = [i for i, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"cells {dirty} have outputs or execution counts; commit the notebook cleared"


def test_imports_nothing_from_solutions_or_grader():
    offending = []
    for i, cell in enumerate(code_cells(load(COMPANION))):
        for line in cell.source.splitlines():
            if (IMPORT_LINE.match(line) or "sys.path" in line or "importlib" in line) and FORBIDDEN.search(line):
                offending.append(f"cell {i}: {line.strip()}")
    assert not offending, "the companion notebook must not use source/ or autograder/:\n" + "\n".join(offending)


def test_runs_end_to_end_without_errors_or_warnings(mnist_available):
    notebook = load(RELEASED)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(RELEASED.parent)}})
    # MNIST_DIR as for the other tests. One BLAS thread: with the default two, the notebook slows down
    # several-fold while other tests (or graders) share the cores (see docs/grading.md, "Parallel").
    env = {**environment.child_env(), **environment.blas_thread_env(1)}
    start = time.monotonic()
    client.execute(env=env)   # raises CellExecutionError on the first failing cell
    elapsed = time.monotonic() - start

    problems = []
    for i, cell in enumerate(code_cells(notebook)):
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"cell {i}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {i} wrote to stderr: {output.text.strip()[:300]}")
    assert not problems, "\n".join(problems)
    figures = sum("image/png" in output.get("data", {}) for cell in code_cells(notebook) for output in cell.outputs)
    assert figures >= 4, f"expected the notebook's 4 figures, got {figures}"
    assert elapsed < TOTAL_BUDGET, f"the notebook took {elapsed:.0f} s, budget {TOTAL_BUDGET} s"


def links_to_companion(notebook):
    targets = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        found = INLINE_LINK.findall(cell.source) + REFERENCE_LINK.findall(cell.source)
        targets += [target for target in found if target.endswith(NAME)]
    return targets


@pytest.mark.parametrize("path", [layout.SOURCE_NOTEBOOK, layout.RELEASE_NOTEBOOK], ids=["source", "release"])
def test_assignment_points_to_companion(path):
    targets = links_to_companion(load(path))
    assert targets, f"{path.relative_to(layout.REPO)} has no markdown link to {NAME}"
    for target in targets:
        resolved = (path.parent / pathlib.PurePosixPath(target)).resolve()
        assert resolved.is_file(), \
            f"{path.relative_to(layout.REPO)} links to {target}, which resolves to the missing file {resolved}"
