"""What grading needs before the first submission, shared by the class run and the hub's grading service:
the template course, the kernel zygote, the pool of workers, the job spec.

``class_run`` takes the steps one by one (they overlap its intake and checks); ``GradingSession`` takes
them together for a process that grades submissions as they arrive (``autograder.preliminary``).
"""
import importlib
import os
import pathlib

from autograder.course import environment, layout, run_nbgrader
from autograder.course.scratch_course import Course
from autograder.grading import gradebook, preflight
from autograder.grading.job import JobSpec
from autograder.grading.local_pool import LocalPool


def build_template(root, task):
    """The course every submission is graded in (copied per submission): source/ and a gradebook."""
    # imported before generate_assignment forks this process: the fork and the gradebook share the import
    importlib.import_module("nbgrader.apps.nbgraderapp")

    template = Course.create(root, task=task)
    gradebook.create_stamped_sqlite(template.root / layout.GRADEBOOK)
    log_path = root.parent / "template.log"
    code = run_nbgrader.run(["generate_assignment", task.name, "--force"], template.root,
                            environment.child_env(), log_path, timeout=600)
    if code != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed (exit {code}) for the grading template:\n"
                           f"{log_path.read_text(errors='replace')}")
    return template


def dask_pool(address):
    """The Dask cluster at ``address``, behind the local pool's interface."""
    from autograder.grading.dask_pool import DaskPool  # distributed is imported only when used

    return DaskPool(address)


def start_zygote(folder, threads, data, data_dir):
    """The kernel zygote local workers fork their kernels from; None unless root (kernels run as sandbox users)."""
    if os.geteuid() != 0 or os.environ.get("TASK41_NO_ZYGOTE"):
        return None
    from autograder.sandbox import zygote_client

    folder = pathlib.Path(folder)
    folder.mkdir(mode=0o700)  # root's: kernels must not reach the socket
    return zygote_client.Zygote(folder / "zygote.sock", threads, data, data_dir)


class GradingSession:
    """The data, the zygote, the workers and the template, ready to grade submissions of ``task`` as they
    come (``submit``: a future of the Result); ``close`` stops everything it started.

    ``hide``: folders kernels must not see (the exchange, the service's own files); ``scheduler``: a Dask
    cluster instead of local workers.
    """

    def __init__(self, task, work, workers, limits, hide=(), scheduler=""):
        self.task, self.work = task, pathlib.Path(work)
        self.pool = self.zygote = None
        try:
            self.data_dir = preflight.prepare_data(task, self.work / "data")
            threads = limits.kernel_blas_threads
            self.pool = dask_pool(scheduler) if scheduler else LocalPool(max(1, workers))
            self.zygote = None if scheduler else start_zygote(self.work / "zygote", threads, task.data, self.data_dir)
            self.pool.check_workers(task.data, self.data_dir)
            self.template = build_template(self.work / "template", task)
            ready = self.zygote is not None and self.zygote.wait_ready()
            self.spec = JobSpec(template=str(self.template.root), assignment=task.name, limits=limits,
                                threads=threads, data_dir=str(self.data_dir) if self.data_dir else None,
                                hide=tuple(str(pathlib.Path(h).resolve()) for h in hide),
                                zygote=self.zygote.socket_path if ready else None)
        except BaseException:
            self.close()
            raise

    def submit(self, student_id, notebook):
        return self.pool.submit(student_id, str(notebook), self.spec)

    def close(self):
        if self.pool is not None:
            self.pool.close()
        if self.zygote is not None:
            self.zygote.close()
