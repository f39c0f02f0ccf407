"""Grading on a Dask cluster (``grade --scheduler ADDRESS``): the same interface as ``LocalPool``.

Each Dask worker owns one grading worker process (``WorkerProcess``) through a Dask
``WorkerPlugin``: started lazily by its first job, closed with the Dask worker.  Its sandbox
slot follows the Dask worker's name (``dask worker --name 3``), else a hash of its address.
"""
import threading
import time
import zlib

from distributed import Client, WorkerPlugin, as_completed, get_worker

from autograder.grading import preflight
from autograder.grading.worker_client import WorkerProcess

PLUGIN_NAME = "task41-grading"


class GradingWorker(WorkerPlugin):
    """The grading worker process of one Dask worker."""

    idempotent = True  # a second class run on the same cluster keeps the running processes

    def setup(self, worker):
        name = str(worker.name)
        self.slot = int(name) if name.isdigit() else zlib.crc32(worker.address.encode()) % 1000
        self.process = None
        self.lock = threading.Lock()

    def teardown(self, worker):
        if self.process is not None:
            self.process.close()

    def grade(self, student_id, notebook, spec):
        with self.lock:  # Dask may run tasks on several threads; the process takes one job at a time
            if self.process is None:
                self.process = WorkerProcess()
            return self.process.grade(student_id, notebook, self.slot, spec)


def _grade_task(student_id, notebook, spec):
    """The Dask task: graded by this Dask worker's grading worker."""
    return get_worker().plugins[PLUGIN_NAME].grade(student_id, notebook, spec)


class DaskPool:
    def __init__(self, address):
        self.client = Client(address, timeout="30s")
        self.client.register_plugin(GradingWorker(), name=PLUGIN_NAME)

    def submit(self, student_id, notebook, spec):
        return self.client.submit(_grade_task, student_id, notebook, spec,
                                  key=f"grade-{student_id}-{time.time_ns()}", pure=False)

    def check_workers(self, data, data_dir):
        """Every Dask worker checks its machine (nbgrader, the Dataset ``data`` at ``data_dir``) before work."""
        answers = self.client.run(preflight.check_worker, data, data_dir, on_error="return")
        problems = [(f"Dask worker {address}", str(answer)) for address, answer in sorted(answers.items())
                    if isinstance(answer, BaseException)]
        if not answers:
            problems.append(("Dask", "the scheduler has no workers; start some with `dask worker ADDRESS`"))
        if problems:
            raise preflight.PreflightFailed(problems)

    def as_completed(self, futures):
        return as_completed(futures)

    def close(self):
        self.client.close()
