"""Run the solution notebook and the companion as a student would (no grading mode), with a given number
of BLAS threads, and keep the executed copies: the stated-numbers test reads what they printed.

    .venv/bin/python -m tests.notebook_runs --threads 1 2      # writes build/notebook-runs/*.ipynb

Floating-point sums are grouped differently with another thread count, so training runs with the same
seeds drift apart: what the text states must hold for every count (tests/test_stated_numbers.py).
"""
import argparse
import sys
import time

import nbformat
from nbclient import NotebookClient

from autograder.course import environment, layout

RUNS_DIR = layout.REPO / "build" / "notebook-runs"
NOTEBOOKS = {
    "assignment": layout.SOURCE_NOTEBOOK,
    "companion": layout.COMPANION_SOURCE_DIR / f"{layout.COMPANION_NOTEBOOK}.ipynb",
}
CELL_TIMEOUT = 600


def run_path(name, threads):
    return RUNS_DIR / f"{name}-{threads}-threads.ipynb"


def execute(name, threads):
    """Execute notebook `name` with `threads` BLAS threads; write and return the executed copy."""
    source = NOTEBOOKS[name]
    notebook = nbformat.read(str(source), as_version=4)
    env = {**environment.child_env(layout.TASK), **environment.blas_thread_env(threads)}
    env.pop("NBGRADER_EXECUTION", None)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent)}})
    client.execute(env=env)
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(run_path(name, threads)))
    return notebook


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", choices=sorted(NOTEBOOKS), nargs="+", default=sorted(NOTEBOOKS))
    args = parser.parse_args(argv)
    for threads in args.threads:
        for name in args.only:
            start = time.monotonic()
            execute(name, threads)
            print(f"{name}, {threads} BLAS thread(s): {time.monotonic() - start:.0f} s -> "
                  f"{run_path(name, threads).relative_to(layout.REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
