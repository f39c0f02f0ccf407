"""The environment of the grader's child processes: PATH, MNIST_DIR, BLAS threads, the course's data loader."""
import os
import pathlib
import sys

from autograder.course import layout


def course_mnist_loader():
    """The course's ``source/task4_1/mnist_loader.py``, freshly imported as a module named mnist_loader."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("mnist_loader", layout.SOURCE_DIR / "mnist_loader.py")
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    return loader


def blas_thread_env(threads):
    """Environment variables capping numpy's BLAS at ``threads`` threads ({} for the library's default)."""
    return {name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")} \
        if threads else {}


def mnist_dir():
    """The MNIST folder the tools use: MNIST_DIR if set, else the copy that ships in data/mnist/."""
    return pathlib.Path(os.environ.get("MNIST_DIR") or layout.MNIST_DIR)


def child_env():
    """Environment for nbgrader child processes.

    The interpreter's bin/ goes first on PATH because nbgrader shells out to
    `alembic` and Jupyter looks up kernels there; MNIST_DIR names the data
    (the course's own copy unless it is set).
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    env["MNIST_DIR"] = str(mnist_dir())
    return env
