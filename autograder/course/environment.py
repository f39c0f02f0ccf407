"""The environment of the grader's child processes: PATH, the course's data folder, BLAS threads."""
import os
import pathlib
import sys

from autograder.course import layout


def blas_thread_env(threads):
    """Environment variables capping numpy's BLAS at ``threads`` threads ({} for the library's default)."""
    return {name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")} \
        if threads else {}


def data_dir(task=None):
    """The folder of ``task``'s data (default: the course's assignment) the tools use: its variable if set;
    else data/<folder>/ once `make data` filled it; else the build machines' copy beside the checkout
    (../shared/data/<folder>); else data/<folder>/, where it should go. None if it reads no data."""
    data = (task or layout.TASK).data
    return data.source_dir(layout.DATA_ROOT, layout.SHARED_DATA_ROOT) if data else None


def fetch_data(task=None, log=print):
    """Fill data/<folder>/ with ``task``'s verified files: copied from the folder data_dir() finds, else
    downloaded by its loader."""
    import shutil

    data = (task or layout.TASK).data
    loader, source, target = data.load_loader(), data_dir(task), layout.DATA_ROOT / data.folder
    target.mkdir(parents=True, exist_ok=True)
    if source != target and source.is_dir():
        data.verify(source)
        for name in loader.FILES:
            for ext in ("", ".gz"):
                if (source / (name + ext)).is_file():
                    shutil.copyfile(source / (name + ext), target / (name + ext))
        log(f"{data.name} copied from {source}")
    else:
        getattr(loader, data.preload)(target, download=True, verbose=True)
    log(f"{data.name} verified in {data.verify(target)}")


def child_env(task=None):
    """Environment for nbgrader child processes.

    The interpreter's bin/ goes first on PATH because nbgrader shells out to
    `alembic` and Jupyter looks up kernels there. With a ``task`` whose notebook reads data,
    its variable names that folder (its own copy unless the variable is set).
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    if task is not None and task.data:
        env[task.data.env] = str(data_dir(task))
    return env
