"""grade_one with real nbgrader runs: the reference solution, a hostile submission and a hanging one.

Each graded submission costs about 20 s, so the hostile probes (reading the course,
writing outside the scratch, reaching a service on the host, leaving a background
process) share one run.
"""
import os
import pathlib
import socket
import textwrap

import nbformat
import pytest

from autograder.course import layout, synthetic_submissions
from autograder.course.scratch_course import Course
from autograder.grading import grade_one
from autograder.grading.job import JobSpec
from autograder.limits import Limits
from autograder.result import Result, Status
from autograder.sandbox import users

pytestmark = [pytest.mark.kernel, pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox user needs root")]

SLOT = 0
USER = f"{users.USER_PREFIX}{SLOT}"
MANUAL = "exercise_answer"


@pytest.fixture(scope="session")
def template(tmp_path_factory, mnist_available):
    course = Course.create(tmp_path_factory.mktemp("sandbox") / "template")
    course.generate_assignment()
    return course.root


def write_submission(template, directory, answers):
    """The release notebook filled in with ``answers`` (grade_id -> source), saved as a staged file."""
    release = template / "release" / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb"
    notebook = synthetic_submissions.build(answers, release)
    return synthetic_submissions.write(notebook, pathlib.Path(directory) / f"{layout.NOTEBOOK}.ipynb")


def with_prefix(cell, code):
    """Reference answers with ``code`` run at the top of one cell."""
    answers = synthetic_submissions.reference_answers()
    return {**answers, cell: textwrap.dedent(code) + "\n" + answers[cell]}


def cell_text(result, grade_id):
    """Everything the cell printed, from the autograded notebook in the result."""
    notebook = nbformat.reads(result.autograded_notebook, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") for o in cell.outputs)


def sandbox_uid():
    import pwd
    return pwd.getpwnam(USER).pw_uid


def assert_nothing_left():
    assert users.live_processes(uid=sandbox_uid()) == [], "a process of the sandbox user outlived grading"


# ---------------------------------------------------------------- the reference solution

@pytest.fixture(scope="module")
def reference(template, tmp_path_factory):
    notebook = write_submission(template, tmp_path_factory.mktemp("reference"),
                                synthetic_submissions.reference_answers())
    return grade_one.grade_one(JobSpec(str(template)), "reference", str(notebook), slot=SLOT)


def test_reference_solution_gets_every_automatic_point(reference):
    assert reference.status == "graded", reference.detail
    assert (reference.score, reference.max_score) == (23, 25)
    assert reference.cells[MANUAL]["needs_manual"]
    automatic = {gid: c for gid, c in reference.cells.items() if gid != MANUAL}
    assert all(c["score"] == c["max_score"] and not c["needs_manual"] for c in automatic.values())
    assert reference.isolation == f"user:{USER}"
    assert "test_mnist_accuracy" in reference.feedback_html
    assert reference.autograded_notebook


def test_result_survives_the_trip_through_json(reference):
    import json
    assert Result.from_json(json.loads(json.dumps(reference.to_json(in_flight=True)))) == reference
    saved = reference.to_json()
    assert set(saved) == {"student_id", "status", "detail", "score", "max_score", "cells", "seconds",
                          "isolation", "digest", "origin", "submitted_at", "late_seconds", "penalty_percent",
                          "late_note", "reported_late", "lms_name"}, "the page and the notebook are files, not fields"
    assert Result.from_json(saved).status is Status.GRADED


# ---------------------------------------------------------------- a hostile submission

HOSTILE = """
import os, socket, subprocess
course = os.path.abspath(os.path.join(os.getcwd(), "..", "..", ".."))
def attempt(label, action):
    try:
        leaked = action()
        print(f"ATTEMPT {{label}}: LEAK {{leaked}}")
    except Exception as exc:
        print(f"ATTEMPT {{label}}: BLOCKED {{type(exc).__name__}}")
def read(path):
    with open(path, "rb") as f:
        return len(f.read())
def write(path):
    with open(path, "w") as f:
        return f.write("pwned")
attempt("course gradebook", lambda: read(os.path.join(course, "gradebook.db")))
attempt("course source", lambda: read(os.path.join(course, "source", "task4_1", "numpy_neural_network.ipynb")))
attempt("course config", lambda: read(os.path.join(course, "nbgrader_config.py")))
attempt("course submitted", lambda: os.listdir(os.path.join(course, "submitted")))
attempt("template gradebook", lambda: read(os.path.join({template}, "gradebook.db")))
attempt("template source", lambda: read(os.path.join({template}, "source", "task4_1", "numpy_neural_network.ipynb")))
attempt("repository source", lambda: read({repo_source}))
attempt("write course", lambda: write(os.path.join(course, "pwned.txt")))
attempt("write cwd", lambda: write("pwned.txt"))
attempt("write template", lambda: write(os.path.join({template}, "pwned.txt")))
attempt("write repository", lambda: write(os.path.join({repo}, "pwned.txt")))
attempt("host service", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=3))
background = subprocess.Popen(["sleep", "300"], start_new_session=True)
print(f"BACKGROUND {{background.pid}}")
print("FORKED FROM ZYGOTE", "autograder.sandbox.zygote" in open("/proc/self/cmdline").read(), "UID", os.getuid())
"""

PROBES = ["course gradebook", "course source", "course config", "course submitted", "template gradebook",
          "template source", "repository source", "write course", "write cwd", "write template",
          "write repository", "host service"]


@pytest.fixture(scope="module")
def host_service():
    """A TCP service on the host's loopback (think: a Dask scheduler) that student code must not reach."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture(scope="module")
def zygote(tmp_path_factory):
    """A kernel zygote as a grading worker starts it (MNIST preloaded from MNIST_DIR)."""
    from autograder.sandbox import zygote_client

    process = zygote_client.Zygote(tmp_path_factory.mktemp("zygote") / "zygote.sock",
                                   data=layout.TASK.data, data_dir=os.environ.get("MNIST_DIR"))
    assert process.wait_ready(), "the kernel zygote did not start"
    yield process
    process.close()


@pytest.fixture(scope="module")
def hostile(template, tmp_path_factory, host_service, zygote):
    """The probes run in a kernel forked from a zygote, as class grading runs them."""
    code = HOSTILE.format(template=repr(str(template)), repo=repr(str(layout.REPO)),
                          repo_source=repr(str(layout.SOURCE_NOTEBOOK)), port=host_service)
    notebook = write_submission(template, tmp_path_factory.mktemp("hostile"), with_prefix("linear", code))
    job = JobSpec(str(template), data_dir=os.environ.get("MNIST_DIR"), zygote=zygote.socket_path)
    result = grade_one.grade_one(job, "mallory", str(notebook), slot=SLOT)
    return result, cell_text(result, "linear")


def test_student_code_cannot_read_or_write_course_files(hostile, template):
    result, text = hostile
    for probe in PROBES:
        assert f"ATTEMPT {probe}: BLOCKED" in text, f"{probe}:\n{text}"
    assert "LEAK" not in text, text
    assert not (template / "pwned.txt").exists() and not (layout.REPO / "pwned.txt").exists()


def test_hostile_code_still_gets_its_points(hostile):
    result, _ = hostile
    assert result.status == "graded", result.detail
    assert result.score == 23


def test_zygote_kernel_is_a_fork_running_as_the_sandbox_user(hostile):
    _, text = hostile
    assert f"FORKED FROM ZYGOTE True UID {sandbox_uid()}" in text, text


def test_background_process_does_not_survive(hostile):
    _, text = hostile
    pid = int(text.split("BACKGROUND ")[1].split()[0])
    assert pid not in users.live_processes(uid=sandbox_uid())
    assert_nothing_left()


# ---------------------------------------------------------------- a submission that hangs

@pytest.mark.parametrize("through_zygote", [False, True], ids=["exec", "zygote"])
def test_wall_timeout_stops_a_hanging_submission(template, tmp_path, zygote, through_zygote):
    notebook = write_submission(template, tmp_path, with_prefix("linear", "import time\ntime.sleep(10_000)"))
    limits = Limits(wall_seconds=36, cell_timeout=10_000)  # the notebook itself gets 6 s
    job = JobSpec(str(template), limits, data_dir=os.environ.get("MNIST_DIR"),
                  zygote=zygote.socket_path if through_zygote else None)
    result = grade_one.grade_one(job, "sleeper", str(notebook), slot=SLOT)
    assert result.status == "timeout"
    assert "the notebook ran out of time" in result.detail
    assert result.seconds < 36
    assert (result.score, result.max_score) == (0, 25)
    assert "NotebookTimeLimit" in result.feedback_html, "a timed-out notebook still gets its feedback"
    assert result.cells[MANUAL]["needs_manual"] and result.cells["test_linear_gradients"]["max_score"] == 3
    assert_nothing_left()


# ---------------------------------------------------------------- no nbgrader run

def test_bad_student_id_is_an_error_result(template):
    result = grade_one.grade_one(JobSpec(str(template)), "../etc", str(template / "nbgrader_config.py"), slot=SLOT)
    assert result.status == "error" and "student id" in result.detail


def test_broken_template_raises(tmp_path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text("{}")
    with pytest.raises(FileNotFoundError):
        grade_one.grade_one(JobSpec(str(tmp_path)), "someone", str(notebook), slot=SLOT)


# ---------------------------------------------------------------- a zygote kernel's stand-in

def test_zygote_launcher_forwards_interrupts_and_takes_its_kernel_down(template, zygote):
    """jupyter_client only knows the launcher: its signals must reach the kernel, its death end it."""
    import shutil
    import signal
    import time

    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    with users.claimed_slot(SLOT) as slot:
        workspace = grade_one.create_workspace(template, users.sandbox_user(slot), layout.TASK)
        manager = client = None
        try:
            grade_one.write_kernel_spec(workspace, JobSpec(str(template), zygote=zygote.socket_path), "zygote-test")
            specs = KernelSpecManager(kernel_dirs=[str(workspace.base / "jupyter" / "kernels")])
            manager = KernelManager(kernel_name=grade_one.KERNEL_NAME, kernel_spec_manager=specs)
            manager.start_kernel(cwd=str(workspace.scratch), env=grade_one.nbgrader_env(workspace))
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=60)

            reply = client.execute_interactive(
                "assert 'autograder.sandbox.zygote' in open('/proc/self/cmdline').read()", timeout=30)
            assert reply["content"]["status"] == "ok", reply["content"]
            message_id = client.execute("print('sleeping', flush=True); import time; time.sleep(120)")
            while True:  # interrupt only once the code runs: a slow machine may take seconds to start it
                message = client.get_iopub_msg(timeout=60)
                if message["parent_header"].get("msg_id") == message_id and message["msg_type"] == "stream":
                    break
            manager.interrupt_kernel()
            reply = client.get_shell_msg(timeout=20)
            assert reply["parent_header"]["msg_id"] == message_id
            assert reply["content"]["ename"] == "KeyboardInterrupt"

            assert users.live_processes(uid=sandbox_uid()), "the kernel should be running"
            os.kill(manager.provisioner.process.pid, signal.SIGKILL)
            deadline = time.monotonic() + 15
            while users.live_processes(uid=sandbox_uid()) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert_nothing_left()
        finally:
            users.kill_processes(uid=sandbox_uid())
            if client is not None:
                client.stop_channels()
            if manager is not None:
                manager.cleanup_resources()
                # sockets to a dead kernel must not keep pytest's exit waiting in zmq's Context.term
                manager.context.destroy(linger=0)
            shutil.rmtree(workspace.base, ignore_errors=True)
