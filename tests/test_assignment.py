"""An assignment is data (autograder/assignment.py): Task 4.1 is read from source/task4_1/assignment.toml,
what it says agrees with the notebook, nbgrader's execution stage takes its cells from it, and a broken
assignment.toml is refused with a sentence that says what to fix."""
import importlib
import os
from unittest import mock

import nbformat
import pytest
from traitlets.config import Config

from autograder import assignment
from autograder.course import layout
from autograder.errors import UserError

TASK = assignment.load(layout.SOURCE_ROOT / "task4_1")


def grade_ids(notebook_path):
    notebook = nbformat.read(str(notebook_path), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells if "nbgrader" in cell.metadata}


def test_task_4_1_is_what_the_course_grades():
    assert (layout.ASSIGNMENT, layout.NOTEBOOK, layout.SOURCE_NOTEBOOK) == \
        (TASK.name, TASK.notebook_stem, TASK.source_notebook)
    assert set(assignment.graded_in(layout.SOURCE_ROOT)) == {"task4_1"}   # the companion has no graded cells


def test_what_the_file_says_agrees_with_the_notebook():
    cells = grade_ids(TASK.source_notebook)
    assert TASK.classes and all(cells[gid].metadata["nbgrader"]["solution"] and f"class {name}" in cells[gid].source
                                for name, gid in TASK.classes.items())
    assert set(TASK.self_timed_cells) <= set(TASK.long_cells) <= set(cells)
    hidden_imports = [cell.source for cell in cells.values() if TASK.checks in cell.source]
    assert hidden_imports, f"no cell of the notebook imports {TASK.checks}"
    importlib.import_module(TASK.checks)
    assert TASK.data.loader.is_file() and TASK.data.loader.parent == TASK.folder
    loader = TASK.data.load_loader()
    assert all(callable(getattr(loader, name)) for name in ("verify", "decompress_to", TASK.data.preload))
    assert issubclass(getattr(loader, TASK.data.error), Exception) and loader.FILES


def test_nbgrader_config_takes_each_assignments_cells_from_its_file():
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(layout.CONFIG_FILE)}
    with mock.patch.dict(os.environ):   # the config sets the BLAS thread variables: not for later tests
        exec(compile(layout.CONFIG_FILE.read_text(), str(layout.CONFIG_FILE), "exec"), namespace)
    assert config.GuardedExecute.assignment_cells == {
        "task4_1": {"long": list(TASK.long_cells), "self_timed": list(TASK.self_timed_cells)}}
    assert assignment.FILE in config.CourseDirectory.ignore   # never released, never copied into a submission


def test_the_release_does_not_hand_out_the_file():
    assert not (layout.RELEASE_DIR / assignment.FILE).exists()


def write(folder, text, notebook="work.ipynb"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / assignment.FILE).write_text(text)
    if notebook:
        nbformat.write(nbformat.v4.new_notebook(), str(folder / notebook))
    return folder


@pytest.mark.parametrize("text, notebook, says", [
    (None, "work.ipynb", "has no assignment.toml"),
    ('name = "hw"\nchecks = "m"\n', "work.ipynb", "lacks notebook"),
    ('name = "other"\nnotebook = "work.ipynb"\nchecks = "m"\n', "work.ipynb", "make them equal"),
    ('name = "hw"\nnotebook = "missing.ipynb"\nchecks = "m"\n', "work.ipynb", "which is not in"),
    ('name = "hw\n', "work.ipynb", "cannot be read"),
])
def test_a_broken_assignment_file_is_refused_with_what_to_fix(tmp_path, text, notebook, says):
    folder = tmp_path / "hw"
    if text is None:
        folder.mkdir()
    else:
        write(folder, text, notebook)
    with pytest.raises(UserError, match=says):
        assignment.load(folder)


def test_a_minimal_assignment_file_is_enough(tmp_path):
    loaded = assignment.load(write(tmp_path / "hw", 'name = "hw"\nnotebook = "work.ipynb"\n'))
    assert (loaded.title, loaded.checks, loaded.classes, loaded.long_cells, loaded.data) == ("hw", None, {}, (), None)


DATA = ('name = "Tiny"\nloader = "tiny_loader.py"\nerror = "TinyError"\nenv = "TINY_DIR"\nfolder = "tiny"\n'
        'preload = "load"\n')


@pytest.mark.parametrize("table, says", [
    ('name = "Tiny"\n', "lacks env, error, folder, loader, preload"),
    (DATA + 'url = "x"\n', "unknown keys url"),
    (DATA.replace("tiny_loader.py", "gone.py"), "names the loader 'gone.py', which is not in"),
])
def test_a_data_table_with_a_gap_is_refused_with_its_keys(tmp_path, table, says):
    folder = write(tmp_path / "hw", 'name = "hw"\nnotebook = "work.ipynb"\n[data]\n' + table)
    (folder / "tiny_loader.py").write_text("")
    with pytest.raises(UserError, match=says):
        assignment.load(folder)
