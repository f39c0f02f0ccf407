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
    hook = "from tests.conftest import pytest_configure  # noqa: F401 - the hook pytest looks for\n"
    (folder / "conftest.py").write_text(hook)
    (folder / "test_example.py").write_text(UNMARKED_KERNEL_TEST)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", markexpr,
                           str(folder)], cwd=folder, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(layout.REPO), "PATH": "/usr/bin:/bin"})


def test_an_unmarked_kernel_test_fails_in_the_fast_tier(tmp_path):
    run = run_pytest(tmp_path, "not kernel and not browser and not hub")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "needs a Jupyter kernel, so mark it `kernel`" in run.stdout


def test_every_noqa_says_why():
    """A `noqa` silences the linter for one line; each says why the rule does not apply there."""
    import re

    marker = re.compile(r"#\s*noqa\b(?::\s*[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)?(?P<why>.*)")
    bare = []
    for path in sorted(layout.REPO.rglob("*.py")):
        if {".venv", "build", "release"} & set(path.relative_to(layout.REPO).parts):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found = marker.search(line)
            if found and not found["why"].strip(" -()\"',\\n"):
                bare.append(f"{path.relative_to(layout.REPO)}:{number}: {line.strip()}")
    assert not bare, "noqa without a reason:\n" + "\n".join(bare)
