"""Student flow: JupyterLab in a copy of release/task4_1/, type a solution, Run All, Validate.

Test A: every solution cell but SGD's is written into the copied notebook file (the two exercise
sweeps as one-line prints, so Run All stays short); the SGD solution is typed into its cell through
the browser; Run All shows every visible check's "passed" message and no traceback; nbgrader's
Validate button (its lab extension + validate_assignment server extension) reports success.
Test B: the release notebook as is; Validate lists the failing cells.

Validate (nbgrader 0.9.6) runs the notebook with NBGRADER_EXECUTION=validate, so the notebook's
GRADING flag (== "autograde") is False: it trains the full 5 epochs and runs every demo again,
server-side, each cell under nbgrader's default 30 s Execute.timeout, and the Jupyter server answers
no other request meanwhile. A cell timeout in an ungraded cell (train_main on a busy machine) still
ends in "Success!": only grade cells count.

Screenshots: build/screenshots/student-{1-typed-sgd,2-run-all,3-validate-success,4-validate-blank}.png.
The server log of each test is tmp_path/jupyter-0.log.
"""
import json
import os
import pathlib
import re
import shutil
import time

import nbformat
import pytest

from autograder.course.notebook_code import cells_by_grade_id, grade_id, strip_solution_markers
from tests.browser import lab_ui

ROOT = pathlib.Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "task4_1"
SOURCE_NOTEBOOK = ROOT / "source" / "task4_1" / "numpy_neural_network.ipynb"
NOTEBOOK = "numpy_neural_network.ipynb"
TYPED = "sgd"  # the grade_id of the solution cell typed through the browser

# The exact messages of the release notebook's visible check cells.
VISIBLE_PASSED = {
    "test_linear_visible": "Linear: visible checks passed",
    "test_relu_visible": "ReLU: visible checks passed",
    "test_softmax_visible": "Softmax: visible checks passed",
    "test_cross_entropy_visible": "CrossEntropyLoss: visible checks passed",
    "test_mlp_visible": "parameters: visible checks passed",  # "MLP with 235,146 parameters: ..."
    "test_sgd_visible": "SGD: visible checks passed",
    "test_momentum_visible": "SGDMomentum: visible checks passed",
}
# nbgrader 0.9.6, labextension/static/161.*.js: the dialog body is div#validation-message with class
# validation-success / validation-failed / validation-changed / ...
VALIDATE_SUCCESS = "Success! Your notebook passes all the tests."
VALIDATE_FAILED_CELL = "The following cell failed:"

# Run All: 5 epochs on MNIST and the demos. The student's own kernel keeps the BLAS library's default threads,
# which fight any other busy process for the cores: 15 s idle, 5.3 min beside one busy process on 2 cores.
RUN_ALL_SECONDS = 600
VALIDATE_SECONDS = 300    # Validate executes the whole notebook again, server-side


def mnist_env():
    mnist = os.environ.get("MNIST_DIR")
    if not mnist or not pathlib.Path(mnist).is_dir():
        pytest.skip("set MNIST_DIR to the folder of the four MNIST files (e.g. /work/shared/data/mnist)")
    return {"MNIST_DIR": mnist}


def student_copy(tmp_path, solve=False):
    """A copy of release/task4_1; with solve=True every solution cell but TYPED holds the solution."""
    folder = tmp_path / "task4_1"
    shutil.copytree(RELEASE, folder)
    if solve:
        solutions = cells_by_grade_id(SOURCE_NOTEBOOK)
        notebook = nbformat.read(str(folder / NOTEBOOK), as_version=4)
        for cell in notebook.cells:
            if not cell.metadata.get("nbgrader", {}).get("solution") or grade_id(cell) == TYPED:
                continue
            if cell.cell_type == "code" and grade_id(cell).startswith("exercise_"):
                # The exercises' real sweeps train 11 networks; a student's cell that does small work.
                cell.source = f'print("{grade_id(cell)}: experiment left out of the browser test")'
            else:
                cell.source = strip_solution_markers(solutions[grade_id(cell)].source)
        nbformat.write(notebook, str(folder / NOTEBOOK))
    return folder


def saved_source(folder, wanted_id):
    notebook = json.loads((folder / NOTEBOOK).read_text())
    for cell in notebook["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == wanted_id:
            source = cell["source"]
            return "".join(source) if isinstance(source, list) else source
    raise AssertionError(f"no cell {wanted_id!r} in the saved notebook")


def wait_until(condition, seconds, step, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    assert condition(), f"step {step!r}: {what} (waited {seconds} s)"


def open_notebook(page, server, step):
    """From the login page, as a student starts: log in, double-click the notebook in the file browser."""
    server.login(page)
    lab_ui.wait_for_lab(page)
    lab_ui.open_path(page, NOTEBOOK)
    try:
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
        page.locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            timeout=60_000)
        page.locator(".jp-NotebookPanel-toolbar .validate-button").wait_for()
    except Exception as error:
        raise AssertionError(f"step {step!r}: the notebook, its idle kernel or nbgrader's Validate button "
                             f"did not appear: {error}") from error


def cell_with(page, text):
    """The notebook cell whose editor contains text."""
    return page.locator(".jp-Notebook .jp-Cell").filter(
        has=page.locator(".jp-InputArea-editor", has_text=text))


def run_all(page):
    """Run → Run All Cells through the menu bar, by clicks."""
    menu_label = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$"))
    page.locator(".lm-MenuBar-item", has=menu_label).click()
    item_label = page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$"))
    page.locator(".lm-Menu-item", has=item_label).click()


def execution_state(page):
    """Prompts of the code cells and the texts of their outputs."""
    return page.evaluate("""() => {
        const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell'));
        return cells.map(cell => ({
            prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
            outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(o => ({
                mime: o.getAttribute('data-mime-type') || '', text: o.textContent})),
            head: (cell.querySelector('.cm-content') || {}).textContent.slice(0, 60),
        }));
    }""")


def finished(state):
    return all(cell["prompt"].strip() not in ("[*]:", "[ ]:", "") for cell in state)


def tracebacks(state):
    """Error outputs on screen (JupyterLab renders errors and stderr streams alike as
    application/vnd.jupyter.stderr; warnings and progress bars carry no traceback)."""
    return [(cell["prompt"], cell["head"], output["text"][:300]) for cell in state for output in cell["outputs"]
            if output["mime"] == "application/vnd.jupyter.stderr" and "Traceback" in output["text"]]


def saved_errors(folder):
    """(grade_id or first line, ename: evalue) of every error output in the saved notebook."""
    notebook = nbformat.read(str(folder / NOTEBOOK), as_version=4)
    return [(grade_id(cell) or cell.source.splitlines()[0], f"{output.ename}: {output.evalue}")
            for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


def saved_unexecuted(folder):
    notebook = nbformat.read(str(folder / NOTEBOOK), as_version=4)
    return [grade_id(cell) or cell.source.splitlines()[0] for cell in notebook.cells
            if cell.cell_type == "code" and cell.execution_count is None]


def server_timeouts(tmp_path):
    """Cell timeouts of Validate's server-side execution, from the server log."""
    log = tmp_path / "jupyter-0.log"
    return [line for line in log.read_text().splitlines() if "Timeout" in line] if log.exists() else []


def press_validate(page, step):
    """Click the toolbar's Validate button; return the "Validation Results" dialog."""
    page.locator(".jp-NotebookPanel-toolbar .validate-button").click()
    dialog = page.locator(".jp-Dialog", has=page.locator("#validation-message"))
    try:
        dialog.wait_for(timeout=VALIDATE_SECONDS * 1000)
    except Exception as error:
        other = page.locator(".jp-Dialog").all_text_contents()
        raise AssertionError(f"step {step!r}: no 'Validation Results' dialog within {VALIDATE_SECONDS} s; "
                             f"dialogs on screen: {other}") from error
    return dialog


def test_solved_notebook_runs_and_validates(page, shots, jupyter_lab, tmp_path):
    env = mnist_env()
    release_cells = cells_by_grade_id(RELEASE / NOTEBOOK)
    for check, message in VISIBLE_PASSED.items():
        assert message in release_cells[check].source, f"step '0 setup': {message!r} is not in {check}'s cell"
    folder = student_copy(tmp_path, solve=True)
    typed = strip_solution_markers(cells_by_grade_id(SOURCE_NOTEBOOK)[TYPED].source)
    server = jupyter_lab(folder, env=env)
    open_notebook(page, server, "1 open the solved notebook")

    # Step 1: type the SGD class into its cell (insert_text: no auto-indent, no auto-closed brackets).
    cell = cell_with(page, "class SGD:")
    cell.first.wait_for()  # JupyterLab attaches the cells of a long notebook progressively
    assert cell.count() == 1, f"step '1 type SGD': expected one cell with 'class SGD:', found {cell.count()}"
    cell.scroll_into_view_if_needed()
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(typed)
    page.keyboard.press("Control+s")
    wait_until(lambda: saved_source(folder, TYPED) == typed, 30, "1 type SGD",
               f"the saved SGD cell differs from the typed solution:\n{saved_source(folder, TYPED)}")
    cell.scroll_into_view_if_needed()
    shots(page, "student-1-typed-sgd")

    # Step 2: Run All through the Run menu; every visible check passes, no traceback anywhere.
    start = time.monotonic()
    run_all(page)
    page.locator(".jp-Notebook .jp-InputArea-prompt", has_text="[*]").first.wait_for(timeout=30_000)
    wait_until(lambda: finished(execution_state(page)), RUN_ALL_SECONDS, "2 Run All",
               "some cells were still running or not run: "
               f"{[(c['prompt'], c['head']) for c in execution_state(page) if not finished([c])][:5]}")
    page.locator('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for()
    run_all_seconds = time.monotonic() - start
    state = execution_state(page)
    all_output = "\n".join(output["text"] for cell in state for output in cell["outputs"])
    missing = [grade for grade, message in VISIBLE_PASSED.items() if message not in all_output]
    assert not missing, f"step '2 Run All': no 'passed' message from {missing}"
    errors = tracebacks(state)
    assert not errors, f"step '2 Run All': cells show a traceback: {errors}"
    page.keyboard.press("Control+s")  # the saved file tells errors from stderr exactly (output_type "error")
    wait_until(lambda: not saved_unexecuted(folder), 30, "2 Run All",
               f"the saved notebook has unexecuted code cells: {saved_unexecuted(folder)[:5]}")
    assert not saved_errors(folder), f"step '2 Run All': error outputs in the saved notebook: {saved_errors(folder)}"
    sgd_check = cell_with(page, "# Visible checks: SGD (1 point)")
    sgd_check.locator(".jp-OutputArea-output").scroll_into_view_if_needed()
    sgd_check.locator(".jp-OutputArea-output", has_text=VISIBLE_PASSED["test_sgd_visible"]).wait_for()
    shots(page, "student-2-run-all")
    print(f"Run All took {run_all_seconds:.1f} s")

    # Step 3: press Validate (it saves the notebook, then executes it server-side).
    start = time.monotonic()
    dialog = press_validate(page, "3 Validate the solved notebook")
    print(f"Validate took {time.monotonic() - start:.1f} s")
    message = dialog.locator("#validation-message")
    shots(page, "student-3-validate-success")
    text = message.text_content()
    assert "validation-success" in (message.get_attribute("class") or "") and VALIDATE_SUCCESS in text, (
        f"step '3 Validate the solved notebook': expected {VALIDATE_SUCCESS!r}, the dialog says:\n{text[:3000]}"
        f"\nserver log {tmp_path / 'jupyter-0.log'}, its timeouts: {server_timeouts(tmp_path)}")


def test_blank_notebook_validate_shows_failures(page, shots, jupyter_lab, tmp_path):
    env = mnist_env()
    folder = student_copy(tmp_path)
    server = jupyter_lab(folder, env=env)
    open_notebook(page, server, "4 open the blank notebook")
    dialog = press_validate(page, "4 Validate the blank notebook")
    message = dialog.locator("#validation-message")
    # Show the first failure's traceback (the dialog scrolls; each failure is its source, then its error).
    traceback = message.locator("pre", has_text="NotImplementedError")
    if traceback.count():
        traceback.first.evaluate("e => e.scrollIntoView({block: 'end'})")
    shots(page, "student-4-validate-blank")
    text = message.text_content()
    assert "validation-failed" in (message.get_attribute("class") or ""), (
        f"step '4 Validate the blank notebook': expected failures, the dialog says:\n{text[:3000]}")
    failed = text.count(VALIDATE_FAILED_CELL)
    headers = [release_cell.source.splitlines()[0] for check, release_cell in
               cells_by_grade_id(RELEASE / NOTEBOOK).items() if check in VISIBLE_PASSED]
    missing = [header for header in headers if header not in text]
    assert not missing and "NotImplementedError" in text, (
        f"step '4 Validate the blank notebook': {missing} not among the failures, or no NotImplementedError:"
        f"\n{text[:3000]}")
    # The seven visible checks and the unanswered written answer (a manually graded cell left as
    # "YOUR ANSWER HERE" scores 0 for Validate); the hidden-test cells are comments in the release.
    assert failed == len(VISIBLE_PASSED) + 1 and "YOUR ANSWER HERE" in text, (
        f"step '4 Validate the blank notebook': expected {len(VISIBLE_PASSED) + 1} failed cells, got {failed}")
