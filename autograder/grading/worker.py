"""The grading worker process: nbgrader imported once, then one submission after another.

The coordinator's side (``start_workers``, ``WorkerProcess``) is in ``grading.worker_client``.

Importing nbgrader and warming up its HTML exporter costs about 2.5 CPU-seconds, paid twice per
submission (autograde, feedback) when each command is a new interpreter.  A worker pays it
once: it is single-threaded, so ``run_nbgrader.run`` forks it for every command, each child
starting with nbgrader already in memory.  A class's workers pay it once between them: one host
process (``--host``) imports and warms up, then forks the workers.

Protocol (one JSON object per line): a worker prints ``{"ready": true, "pid": N}`` once, then
answers each request ``{"student_id", "notebook", "slot", "spec"}`` (``spec``: a JobSpec as JSON)
with the ``Result`` of ``grade_one.grade_one`` as JSON (``in_flight`` fields included), or ``{"worker_error": "..."}``.
Its reply pipe carries only these lines; anything else it prints goes to stderr.  It exits at
the end of its requests.
"""
import json
import os
import signal
import sys
import traceback

from autograder.errors import GraderFault
from autograder.grading.job import JobSpec

PRELOAD = ("nbgrader.apps.nbgraderapp", "nbgrader.converters", "nbconvert.exporters.html", "jupyter_client",
           "nbclient", "sqlalchemy")
PR_SET_NAME = 15
WORKER_NAME, HOST_NAME = b"grading-worker", b"grading-host"  # what ps and top show


def prepare(warm_up=None):
    """Import what grading needs and warm it up on notebook ``warm_up``: every fork of this process starts with it."""
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    if warm_up:
        _warm_up(warm_up)


def serve(requests, replies):
    """Answer grading requests from ``requests`` (text lines) on ``replies`` until end of input."""
    from autograder.grading import grade_one, preflight

    _name_process(WORKER_NAME)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))  # runs grade_one's cleanup
    _reply(replies, {"ready": True, "pid": os.getpid()})
    for line in requests:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            spec = JobSpec.from_json(job["spec"])
            preflight.check_worker(grade_one.task_of(spec).data, spec.data_dir, digests=False)  # still there
            result = grade_one.grade_one(spec, job["student_id"], job["notebook"], job["slot"]).to_json(in_flight=True)
        except GraderFault as exc:
            result = {"worker_error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the coordinator decides what a broken job means
            print(traceback.format_exc(), file=sys.stderr)
            result = {"worker_error": f"{type(exc).__name__}: {exc}"}
        _reply(replies, result)


def host(pipes, warm_up=None):
    """Prepare once, fork one worker per (requests fd, replies fd) in ``pipes``; return when all have exited."""
    from autograder.course import forked

    _name_process(HOST_NAME)
    prepare(warm_up)
    children = set()
    for index, (requests, replies) in enumerate(pipes):
        pid = os.fork()
        if pid == 0:
            for other in pipes[:index] + pipes[index + 1:]:  # a sibling's pipe held open would hide its exit
                os.close(other[0])
                os.close(other[1])
            forked.run_then_exit(lambda requests=requests, replies=replies:
                                 serve(os.fdopen(requests), os.fdopen(replies, "w")))
        children.add(pid)
    for requests, replies in pipes:
        os.close(requests)
        os.close(replies)
    while children:  # reap each worker as it exits
        children.discard(os.wait()[0])


def _warm_up(path):
    """Render the release notebook at ``path`` to HTML so the forks inherit compiled regexes, lexers and
    templates (~1 s each), the highlighted code of every cell a submission shares with it, and its markdown
    already cleaned by SanitizeStudentContent (in both of the forms autograde and feedback see)."""
    import nbformat

    from autograder.nbgrader_ext.feedback_exporter import FeedbackHTMLExporter
    from autograder.nbgrader_ext.sanitize_student_content import SanitizeStudentContent

    try:
        notebook = nbformat.read(str(path), as_version=4)
        notebook.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}  # as a kernel records it
        SanitizeStudentContent().preprocess(notebook, {})  # twice: the autograde pass, then the feedback pass
        SanitizeStudentContent().preprocess(notebook, {})
        FeedbackHTMLExporter(template_name="classic").from_notebook_node(notebook)
    except Exception as exc:  # noqa: BLE001 - only a speed-up
        print(f"grading worker: warm-up skipped ({type(exc).__name__}: {exc})", file=sys.stderr)


def _name_process(name):
    """Set the name ps shows (Linux; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reply(replies, message):
    replies.write(json.dumps(message) + "\n")
    replies.flush()


def main():
    from autograder.course import nbformat_speedup

    nbformat_speedup.skip_iri_format_parser()
    replies = os.dup(1)
    os.dup2(2, 1)  # stray prints must not corrupt the protocol
    sys.stdout = sys.stderr
    args, warm_up = sys.argv[1:], None
    if args[:1] == ["--warm-up"]:
        warm_up, args = args[1], args[2:]
    if args[:1] == ["--host"]:
        os.close(replies)
        host([tuple(int(fd) for fd in pair.split(":")) for pair in args[1:]], warm_up)
    else:
        prepare(warm_up)
        serve(sys.stdin, os.fdopen(replies, "w"))
    sys.stderr.flush()
    os._exit(0)  # skip the interpreter's teardown of everything nbgrader imported (~0.5 s)


if __name__ == "__main__":
    main()
