"""The grader's checks of its own machine, and which failures are the machine's.  No kernel needed."""
import os
import sqlite3

import pytest

from autograder.course import layout
from autograder.grading import grade_one, preflight


def test_nbgrader_other_than_the_pinned_version_is_refused(monkeypatch):
    import nbgrader
    assert preflight.check_nbgrader() is None
    monkeypatch.setattr(nbgrader, "__version__", "0.8.5")
    message = preflight.check_nbgrader()
    assert "nbgrader 0.8.5 is installed" in message and "pip install -r" in message


def test_gradebook_checks_write_access_without_changing_it(tmp_path):
    db = tmp_path / "gradebook.db"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE student (id TEXT)")
    connection.close()
    assert preflight.check_gradebook(None, tmp_path) is None
    assert preflight.check_gradebook(f"sqlite:///{db}", tmp_path / "elsewhere") is None
    with sqlite3.connect(db) as connection:  # the probe table was rolled back
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("student",)]
    connection.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write read-only files")
def test_read_only_gradebook_is_refused(tmp_path):
    db = tmp_path / "gradebook.db"
    sqlite3.connect(db).close()
    db.chmod(0o444)
    assert "not writable" in preflight.check_gradebook(None, tmp_path)


def test_unreachable_database_is_refused_with_the_password_hidden():
    message = preflight.check_gradebook("postgresql://grader:hunter2@127.0.0.1:9/db", None)
    assert "cannot be written" in message and "Fix:" in message
    assert "hunter2" not in message and "grader:***@" in message


def test_sandbox_isolation_needs_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "needs root" in preflight.check_isolation("sandbox")
    assert preflight.check_isolation("auto") is None


def test_too_little_room_for_the_output_is_refused(monkeypatch, tmp_path):
    import collections
    import shutil
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10 * 2**20, 9 * 2**20, 2**20))
    message = preflight.check_output_space(tmp_path / "out", 100)
    assert "1 MB free" in message and "--out" in message


def test_all_problems_are_reported_at_once(monkeypatch, tmp_path):
    monkeypatch.setattr(preflight, "check_nbgrader", lambda: "nbgrader is wrong.\nFix: reinstall")
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(preflight.PreflightFailed) as failed:
        preflight.run(tmp_path / "out", None, 3, "sandbox")
    assert [what for what, _ in failed.value.problems] == ["nbgrader", "isolation"]
    assert str(failed.value).startswith("the grader cannot start on this machine; nothing was graded.")


class Workspace:
    def __init__(self, log):
        self.log = log


@pytest.mark.parametrize("log, status", [
    ("nbformat.reader.NotJSONError: Notebook does not appear to be JSON", "error"),
    ("RuntimeError: Kernel died before replying to kernel_info", "grader-error"),
    ("RuntimeError: the grading kernel cannot import autograder.kernel.integrity", "grader-error"),
    ("OSError: [Errno 28] No space left on device", "grader-error"),
])
def test_only_known_faults_of_the_submission_are_the_students(tmp_path, log, status):
    (tmp_path / "nbgrader.log").write_text(f"[AutogradeApp | ERROR] ...\n{log}\n")
    got, detail = grade_one.failure_detail("autograde", 1, Workspace(tmp_path / "nbgrader.log"))
    assert got == status
    assert log in detail


def test_dask_workers_that_cannot_grade_stop_the_run_before_it_starts():
    from autograder.grading.dask_pool import DaskPool

    class Client:
        def run(self, function, data, data_dir, on_error):
            assert function is preflight.check_worker and on_error == "return"
            return {"tcp://10.0.0.7:4000": preflight.GraderFault("this grading worker cannot use MNIST: missing"),
                    "tcp://10.0.0.8:4000": None}

    pool = DaskPool.__new__(DaskPool)
    pool.client = Client()
    with pytest.raises(preflight.PreflightFailed) as failed:
        pool.check_workers(layout.TASK.data, "/data/mnist")
    assert failed.value.problems == [("Dask worker tcp://10.0.0.7:4000",
                                      "this grading worker cannot use MNIST: missing")]


@pytest.mark.parametrize("digests", [True, False])
def test_a_worker_without_mnist_is_a_grader_fault(tmp_path, digests):
    with pytest.raises(preflight.GraderFault, match="cannot use MNIST"):
        preflight.check_worker(layout.TASK.data, str(tmp_path), digests=digests)


def test_first_line_of_an_error_prefers_the_database_driver_message():
    class DriverError(Exception):
        orig = ConnectionRefusedError("connection refused\n\tIs the server running?")
    assert preflight.first_line(DriverError("(psycopg) long wrapper text")) == "connection refused"
    assert preflight.first_line(RuntimeError("")) == ""
