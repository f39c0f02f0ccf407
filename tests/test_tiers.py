"""The test tiers: a test that starts a Jupyter kernel fails in `make test-fast` unless marked `kernel`."""
import subprocess
import sys
import textwrap

from autograder.course import layout

UNMARKED_KERNEL_TEST = textwrap.dedent("""
    import nbformat
    from nbclient import NotebookClient

    def test_runs_a_notebook():
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        NotebookClient(notebook, kernel_name="python3").execute()
""")


def run_pytest(folder, markexpr):
    (folder / "conftest.py").write_text("from tests.conftest import pytest_configure  # noqa: F401\n")
    (folder / "test_example.py").write_text(UNMARKED_KERNEL_TEST)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", markexpr,
                           str(folder)], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(layout.REPO), "PATH": "/usr/bin:/bin"})


def test_an_unmarked_kernel_test_fails_in_the_fast_tier(tmp_path):
    run = run_pytest(tmp_path, "not kernel and not browser and not hub")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "needs a Jupyter kernel, so mark it `kernel`" in run.stdout
