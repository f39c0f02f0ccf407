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
    """The MNIST folder the tools use: MNIST_DIR if set; else data/mnist/ once `make data` filled it; else the
    build machines' copy beside the checkout (../shared/data/mnist); else data/mnist/, where it should go."""
    if os.environ.get("MNIST_DIR"):
        return pathlib.Path(os.environ["MNIST_DIR"])
    for folder in (layout.MNIST_DIR, layout.SHARED_MNIST_DIR):
        if any((folder / f"train-images-idx3-ubyte{ext}").is_file() for ext in ("", ".gz")):
            return folder
    return layout.MNIST_DIR


def fetch_mnist(log=print):
    """Fill data/mnist/ with the four verified files: from the folder mnist_dir() finds, else by download."""
    import shutil

    loader = course_mnist_loader()
    source = mnist_dir()
    layout.MNIST_DIR.mkdir(parents=True, exist_ok=True)
    if source != layout.MNIST_DIR and source.is_dir():
        loader.verify(source)
        for name in loader.FILES:
            for ext in ("", ".gz"):
                if (source / (name + ext)).is_file():
                    shutil.copyfile(source / (name + ext), layout.MNIST_DIR / (name + ext))
        log(f"MNIST copied from {source}")
    else:
        loader.load_mnist(layout.MNIST_DIR, download=True, verbose=True)
    log(f"MNIST verified in {loader.verify(layout.MNIST_DIR)}")


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
