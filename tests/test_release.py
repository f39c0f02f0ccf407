"""Generated files are in sync (release/ with source/, the mutation outcomes with the code); metadata is sane."""
import ast
import os
import re

import nbformat
import pytest

from autograder.course import layout, release
from autograder.course.notebook_code import grade_id

STUDENT_GUIDE = "README.md"  # source/task4_1/README.md, released beside the notebook
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)


def load(path):
    return nbformat.read(str(path), as_version=4)


def nbgrader_meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_release_is_in_sync_with_source():
    assert release.check() == [], "run `python -m autograder release` and commit release/"


@pytest.mark.parametrize("path", [layout.SOURCE_NOTEBOOK, layout.RELEASE_NOTEBOOK], ids=["source", "release"])
def test_grade_ids_unique_and_points_on_every_graded_cell(path):
    cells = [c for c in load(path).cells if nbgrader_meta(c)]
    ids = [grade_id(c) for c in cells]
    assert len(ids) == len(set(ids)), f"duplicate grade_ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    for cell in cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{meta['grade_id']} has no points"
        if meta.get("grade") and not meta.get("solution"):
            assert meta.get("locked"), f"test cell {meta['grade_id']} must be locked"


def test_stated_total_matches_metadata():
    notebook = load(layout.SOURCE_NOTEBOOK)
    points = [nbgrader_meta(c) for c in notebook.cells if nbgrader_meta(c).get("grade")]
    auto = sum(m["points"] for m in points if not m.get("solution"))
    manual = sum(m["points"] for m in points if m.get("solution"))
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert f"{auto:g} points graded automatically + {manual:g} by hand | **{auto + manual:g}**" in markdown
    assert f"{auto:g} points\nare checked automatically and {manual:g} by a person" in notebook.cells[0].source


def test_every_graded_class_is_stubbed_with_its_interface():
    source = {grade_id(c): c.source for c in load(layout.SOURCE_NOTEBOOK).cells}
    released = {grade_id(c): c.source for c in load(layout.RELEASE_NOTEBOOK).cells}
    for name, cell_id in layout.GRADED_CLASSES.items():
        stub = released[cell_id]
        assert f"class {name}" in stub
        assert "raise NotImplementedError()" in stub, f"{name} is not stubbed in the release"
        assert "BEGIN SOLUTION" not in stub
        for signature in re.findall(r"^\s*def .*:$", source[cell_id], re.MULTILINE):
            assert signature in stub, f"{name}: signature {signature.strip()} missing from the release"


def test_hidden_tests_are_absent_from_the_release():
    release_text = layout.RELEASE_NOTEBOOK.read_text()
    hidden = [block for c in load(layout.SOURCE_NOTEBOOK).cells for block in HIDDEN.findall(c.source)]
    assert len(hidden) >= 9
    for block in hidden:
        for line in block.strip().splitlines():
            if "check" in line:
                assert line.strip() not in release_text, f"hidden test line leaked: {line}"


def test_no_test_cell_ends_on_an_expression():
    # nbgrader reads a numeric last value as partial credit
    for cell in load(layout.SOURCE_NOTEBOOK).cells:
        if nbgrader_meta(cell).get("grade") and cell.cell_type == "code":
            source = re.sub(r"^### .*$", "", cell.source, flags=re.MULTILINE)
            last = ast.parse(source).body[-1]
            is_print = isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) \
                and getattr(last.value.func, "id", None) == "print"
            assert not isinstance(last, ast.Expr) or is_print, f"{grade_id(cell)} ends on an expression"


def test_source_notebook_is_committed_without_outputs():
    for cell in load(layout.SOURCE_NOTEBOOK).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{grade_id(cell) or cell.id} has outputs"

@pytest.mark.parametrize("name", ["gradcheck.py", "mnist_loader.py"])
def test_the_companion_gets_the_assignments_helpers_as_files(name):
    # source/ keeps one copy (a relative symlink); nbgrader releases a real file beside the companion
    linked = layout.COMPANION_SOURCE_DIR / name
    assert linked.is_symlink() and os.readlink(linked) == f"../{layout.ASSIGNMENT}/{name}"
    released = layout.COMPANION_RELEASE_DIR / name
    assert not released.is_symlink() and released.read_bytes() == (layout.RELEASE_DIR / name).read_bytes()


def test_the_student_guide_is_released_and_is_no_news_in_a_submission():
    assert (layout.RELEASE_DIR / STUDENT_GUIDE).is_file()
    # what intake treats as handed back (no "ignored" note) is exactly what the release gives beside the notebook
    released = {path.name for path in layout.RELEASE_DIR.iterdir() if path.suffix != ".ipynb"}
    assert layout.TASK.released_files() == released and STUDENT_GUIDE in released


def test_the_committed_mutation_outcomes_belong_to_this_code():
    from tests.mutation import analysis

    assert analysis.cached_key() == analysis.fingerprint(), \
        "benchmarks/mutation_outcomes.json is stale: run python -m tests.mutation.analysis and commit it"
