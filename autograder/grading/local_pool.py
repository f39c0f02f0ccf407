"""Grading on this machine: one grading worker process per slot, each driven by a thread.

``submit`` / ``as_completed`` / ``check_workers`` / ``close``: the interface ``dask_pool.DaskPool`` shares.
"""
import concurrent.futures
import queue
import signal
import subprocess

from autograder.grading import worker_client


class LocalPool:
    """One grading worker process per slot, each driven by a thread; slots are never shared."""

    def __init__(self, workers, warm_up=None):
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
        self.idle = queue.Queue()
        self.host, self.processes = worker_client.start_workers(workers, warm_up)  # their imports overlap setup
        for slot, process in enumerate(self.processes):
            self.idle.put((slot, process))

    def _run(self, student_id, notebook, spec):
        slot, process = self.idle.get()
        try:
            return process.grade(student_id, notebook, slot, spec)
        finally:
            self.idle.put((slot, process))

    def submit(self, student_id, notebook, spec):
        return self.executor.submit(self._run, student_id, notebook, spec)

    def check_workers(self, data, data_dir):
        """Nothing to do up front: local workers check their machine (this one) before each job."""

    def as_completed(self, futures):
        return concurrent.futures.as_completed(futures)

    def close(self, timeout=30):
        """Stop every worker at once (idle ones exit, busy ones are told to stop their job) and wait for them."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        for process in self.processes:
            process.stop()
        if not any(process.pid for process in self.processes):
            self.host.terminate()  # nothing was graded (the class refused to start): do not wait for its imports
        try:  # the host exits once every worker it forked has
            self.host.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for process in self.processes:
                process.signal(signal.SIGKILL)
            self.host.kill()
            self.host.wait()
        for process in self.processes:
            process.wait_stopped(timeout)
