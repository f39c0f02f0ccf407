"""A long-lived grading process: nbgrader imported once, then one submission after another.

Importing nbgrader costs about 3 s, paid twice per submission (autograde, feedback)
when each command is a new interpreter.  A worker pays it once: it is single-threaded,
so ``run_nbgrader.run`` forks it for every command, each child starting with
nbgrader already in memory.

Protocol (one JSON object per line): the worker prints ``{"ready": true}`` once, then
answers each request ``{"student_id", "notebook", "slot", "spec"}`` (``spec``: a JobSpec as JSON)
with the ``Result`` of ``grade_one.grade_job`` as JSON (``in_flight`` fields included), or ``{"worker_error": "..."}``.
Its stdout carries only these lines; anything else it prints goes to stderr.

``WorkerProcess`` is the coordinator's side: it starts a worker and sends it jobs.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import traceback

from autograder.course import environment, layout
from autograder.grading.job import JobSpec
from autograder.result import Result

PRELOAD = ("nbgrader.apps.nbgraderapp", "nbgrader.converters", "nbconvert.exporters.html", "jupyter_client",
           "nbclient", "sqlalchemy")


def serve(requests, replies):
    """Answer grading requests from ``requests`` (text lines) on ``replies`` until end of input."""
    import importlib

    from autograder.grading import grade_one, preflight

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # runs grade_one's cleanup
    for module in PRELOAD:
        importlib.import_module(module)
    _warm_up()
    _reply(replies, {"ready": True})
    for line in requests:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            spec = JobSpec.from_json(job["spec"])
            preflight.check_worker(spec.data_dir, digests=False)  # the data is still there
            result = grade_one.grade_job(spec, job["student_id"], job["notebook"], job["slot"]).to_json(in_flight=True)
        except preflight.GraderFault as exc:
            result = {"worker_error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the coordinator decides what a broken job means
            print(traceback.format_exc(), file=sys.stderr)
            result = {"worker_error": f"{type(exc).__name__}: {exc}"}
        _reply(replies, result)


def _warm_up():
    """Render one notebook to HTML so the forks inherit compiled regexes, lexers and templates (~1 s each)."""
    from autograder.nbgrader_ext.feedback_exporter import FeedbackHTMLExporter

    try:
        FeedbackHTMLExporter(template_name="classic").from_filename(str(layout.RELEASE_NOTEBOOK))
    except Exception as exc:  # noqa: BLE001 - only a speed-up
        print(f"grading worker: warm-up skipped ({type(exc).__name__}: {exc})", file=sys.stderr)


def _reply(replies, message):
    replies.write(json.dumps(message) + "\n")
    replies.flush()


class WorkerDied(RuntimeError):
    """The worker process exited or stopped answering."""


class WorkerFault(RuntimeError):
    """The worker could not grade the job: its machine, not the submission, is at fault."""


class WorkerProcess:
    """One ``python -m autograder.grading.worker`` child; ``grade`` is called by one thread at a time."""

    def __init__(self):
        self.process = None
        self._ready = False
        self.lock = threading.Lock()

    def start(self):
        """Start the worker without waiting for its imports (they overlap other work)."""
        if self.process is None or self.process.poll() is not None:
            self._ready = False
            self.process = subprocess.Popen([sys.executable, "-m", "autograder.grading.worker"], env=environment.child_env(),
                                            cwd=layout.REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            text=True, bufsize=1)
        return self

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            self.process = None
            raise WorkerDied(f"the grading worker exited (code {code}); see its messages above")
        return json.loads(line)

    def grade(self, student_id, notebook, slot, spec):
        """grade_one.grade_job in the worker; raises WorkerDied (the next call starts a new worker)."""
        with self.lock:
            self.start()
            if not self._ready:
                self._ready = bool(self._read().get("ready"))
            job = {"student_id": student_id, "notebook": str(notebook), "slot": slot, "spec": spec.to_json()}
            try:
                self.process.stdin.write(json.dumps(job) + "\n")
                self.process.stdin.flush()
            except BrokenPipeError:
                self.process = None
                raise WorkerDied("the grading worker exited before taking the job") from None
            result = self._read()
            if "worker_error" in result:
                raise WorkerFault(result["worker_error"])
            return Result.from_json(result)

    def close(self):
        """Stop the worker: an idle one finishes and exits, a busy one is told to stop its job (SIGTERM)."""
        process = self.process
        if process is None:
            return
        if self._ready and self.lock.acquire(blocking=False):
            try:
                process.stdin.close()  # end of input: the worker returns
            except OSError:
                pass
            self.lock.release()
        else:
            process.terminate()  # the worker kills its nbgrader run and cleans up
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.process = None


def main():
    from autograder.course import nbformat_speedup

    nbformat_speedup.skip_iri_format_parser()
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints must not corrupt the protocol
    sys.stdout = sys.stderr
    serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
