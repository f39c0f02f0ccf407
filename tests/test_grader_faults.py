"""Faults of the grading machine, injected while `python -m autograder grade` runs.

For each fault: a clear message and an exit code that says the class is not done, nothing
graded is lost, no duplicate or half-written row (the CSV and the gradebook agree), and a
rerun of the same command completes the class.  A fault is never a student's score.
"""
import csv
import gzip
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograder import result
from autograder.__main__ import INCOMPLETE, REFUSED
from autograder.course import environment, layout, synthetic_submissions
from autograder.grading import gradebook, preflight
from tests.postgres import PostgresServer

# Kills workers, the coordinator, the database and fills disks mid-run (two minutes): make test-slow (CI runs it)
pytestmark = [pytest.mark.kernel, pytest.mark.slow]

STUDENTS = ["amy", "ben", "cat"]
NEEDS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mounts a small tmpfs)")


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory, mnist_available):
    """Three correct submissions (about 5 s each, two at a time): a fault is injected while one is still to come."""
    root = tmp_path_factory.mktemp("faults") / "submitted"
    notebook = synthetic_submissions.build(synthetic_submissions.reference_answers())
    for student in STUDENTS:
        synthetic_submissions.write(notebook, root / student / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb")
    return root


def grade_command(class_dir, out, *extra):
    return [sys.executable, "-m", "autograder", "grade", layout.ASSIGNMENT, str(class_dir), "--out", str(out),
            "--workers", "2", *map(str, extra)]


def start(class_dir, out, *extra, env=None):
    return subprocess.Popen(grade_command(class_dir, out, *extra), cwd=layout.REPO, env=env or environment.child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(class_dir, out, *extra, env=None):
    return subprocess.run(grade_command(class_dir, out, *extra), cwd=layout.REPO, env=env or environment.child_env(),
                          capture_output=True, text=True, timeout=900)


def wait_until(predicate, timeout=300, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"waited {timeout} s for {what}")


def saved(out):
    return sorted(p.stem for p in (out / "results").glob("*.json")) if (out / "results").is_dir() else []


def read_rows(out):
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    ids = [row["student_id"] for row in rows]
    assert len(ids) == len(set(ids)), f"duplicate rows: {ids}"
    return {row["student_id"]: row for row in rows}


def assert_consistent(out, db_url=None):
    """Every saved result is whole JSON; the gradebook holds the CSV's scored rows (same points), and others
    only where the row says its commit lost its answer."""
    for path in (out / "results").glob("*.json"):
        json.loads(path.read_text())
    rows = read_rows(out)
    stored = gradebook.scores(db_url or f"sqlite:///{out / 'gradebook.db'}")
    scored = {s for s, row in rows.items() if row["status"] in result.SCORED}
    # a record whose commit lost its answer may be stored: its row says so and the rerun rewrites it
    unsure = {s for s, row in rows.items() if gradebook.OUTCOME_UNKNOWN in row["detail"]}
    assert scored <= set(stored) <= scored | unsure, (sorted(stored), sorted(scored), sorted(unsure))
    for student in scored:
        for grade_id, score in stored[student].items():
            assert rows[student][grade_id] == ("" if score is None else f"{score:g}"), (student, grade_id)
    for row in rows.values():
        if row["status"] == "grader-error":
            assert row["total"] == "" and "fault of the grading machine" in row["detail"], row
    return rows


def assert_complete_after_rerun(class_dir, out, *extra, db_url=None):
    rerun = run(class_dir, out, *extra)
    assert rerun.returncode == 0, rerun.stderr
    rows = assert_consistent(out, db_url)
    assert sorted(rows) == STUDENTS
    assert {row["status"] for row in rows.values()} == {"graded"}
    assert {row["total"] for row in rows.values()} == {"23"}
    return rerun


def descendants(pid):
    """Pids of every process below ``pid``."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
                parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def process_name(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def parent(pid):
    try:
        return int(pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def busy_workers(coordinator):
    """Grading workers of ``coordinator`` that are grading (their nbgrader fork is running).

    The nbgrader forks of a worker keep its name: a worker is a "grading-worker" whose parent is not one.
    """
    workers = [pid for pid in descendants(coordinator)
               if process_name(pid) == "grading-worker" and process_name(parent(pid)) != "grading-worker"]
    return [pid for pid in workers if descendants(pid)]


def wait_gone(pids, timeout=180):
    wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid) for pid in pids),
               timeout, "orphaned grading processes to finish")


def _state(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


# ---------------------------------------------------------------- refusing to start

def altered_copy(folder):
    """The four MNIST files, valid IDX and gzip, one test label changed."""
    source = pathlib.Path(os.environ["MNIST_DIR"])
    folder.mkdir()
    for path in source.glob("*-ubyte.gz"):
        shutil.copy(path, folder / path.name)
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(labels.read_bytes()))
    data[-1] = (data[-1] + 1) % 10
    labels.write_bytes(gzip.compress(bytes(data)))
    return folder


@pytest.mark.parametrize("fault", ["missing", "altered"])
def test_bad_mnist_refuses_to_start_and_writes_nothing(class_dir, tmp_path, fault):
    data = tmp_path / "empty" if fault == "missing" else altered_copy(tmp_path / "altered")
    data.mkdir(exist_ok=True)
    env = {**environment.child_env(), "MNIST_DIR": str(data)}
    result = run(class_dir, tmp_path / "out", env=env)
    assert result.returncode == REFUSED
    assert not (tmp_path / "out").exists(), "nothing may be written before the checks pass"
    said = result.stderr
    assert "nothing was graded" in said and "MNIST_DIR" in said, said
    assert ("MNIST files missing" if fault == "missing" else "wrong content") in said, said
    assert "Traceback" not in said

    demo = subprocess.run([sys.executable, "-m", "autograder", "demo", "--out", str(tmp_path / "demo")],
                          cwd=layout.REPO, env=env, capture_output=True, text=True, timeout=120)
    assert demo.returncode == REFUSED and "MNIST" in demo.stderr and not (tmp_path / "demo").exists()


def test_unreachable_gradebook_refuses_to_start(class_dir, tmp_path):
    with_closed_port = "postgresql://grader:secret@127.0.0.1:9/gradebook"
    result = run(class_dir, tmp_path / "out", "--db", with_closed_port)
    assert result.returncode == REFUSED
    assert "gradebook" in result.stderr and "Fix:" in result.stderr and "secret" not in result.stderr
    assert not (tmp_path / "out").exists()


@NEEDS_ROOT
def test_full_output_folder_refuses_to_start(class_dir, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    try:
        result = run(class_dir, mount / "out")
        assert result.returncode == REFUSED
        assert "MB free" in result.stderr and "--out" in result.stderr, result.stderr
        assert list(mount.iterdir()) == []
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


# ---------------------------------------------------------------- faults in the middle of a class

def test_worker_killed_mid_class_is_a_grader_error_then_regraded(class_dir, tmp_path):
    out = tmp_path / "out"
    coordinator = start(class_dir, out)
    wait_until(lambda: busy_workers(coordinator.pid), what="a worker grading")
    victim = busy_workers(coordinator.pid)[0]
    orphans = descendants(victim)
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = coordinator.communicate(timeout=600)
    assert coordinator.returncode == INCOMPLETE, stderr
    assert "class incomplete" in stderr and "grader-error" in stderr
    rows = assert_consistent(out)
    assert [s for s, row in rows.items() if row["status"] == "grader-error"] != []
    assert all(row["status"] in ("graded", "grader-error") for row in rows.values())
    wait_gone(orphans)
    assert_complete_after_rerun(class_dir, out)


def test_coordinator_killed_mid_class_loses_nothing(class_dir, tmp_path):
    out = tmp_path / "out"
    coordinator = start(class_dir, out)
    wait_until(lambda: saved(out), what="a first saved result")
    orphans = descendants(coordinator.pid)
    coordinator.kill()
    coordinator.communicate()
    graded_before = {s: json.loads((out / "results" / f"{s}.json").read_text()) for s in saved(out)}
    wait_gone(orphans)
    rerun = assert_complete_after_rerun(class_dir, out)
    assert f"{len(STUDENTS) - len(graded_before)} to grade, {len(graded_before)} already graded" in rerun.stdout
    for student, before in graded_before.items():  # kept as they were, not regraded
        assert json.loads((out / "results" / f"{student}.json").read_text()) == before


def test_postgresql_stopped_mid_run_then_restarted(class_dir, tmp_path):
    server = PostgresServer()
    try:
        out = tmp_path / "out"
        coordinator = start(class_dir, out, "--db", server.url)
        wait_until(lambda: saved(out), what="a first saved result")
        server.stop()
        stdout, stderr = coordinator.communicate(timeout=600)
        assert coordinator.returncode == INCOMPLETE, stderr
        server.start()
        rows = assert_consistent(out, server.url)
        lost = [row for row in rows.values() if row["status"] == "grader-error"]
        # the gradebook refused the write, or stopped once the submission may have been stored
        assert lost and all("gradebook could not be written" in row["detail"] or gradebook.OUTCOME_UNKNOWN
                            in row["detail"] for row in lost), rows
        assert_complete_after_rerun(class_dir, out, "--db", server.url, db_url=server.url)
    finally:
        server.remove()


@NEEDS_ROOT
def test_output_folder_full_mid_run_stops_cleanly(class_dir, tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    needed = preflight.BYTES_FIXED + preflight.BYTES_PER_SUBMISSION * len(STUDENTS)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={needed + 8 * 2**20}", "tmpfs", str(mount)], check=True)
    try:
        out = mount / "out"
        coordinator = start(class_dir, out)
        wait_until(lambda: saved(out), what="a first saved result")
        filler = mount / "filler"
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 2**20)
                    f.flush()
            except OSError:
                pass
        stdout, stderr = coordinator.communicate(timeout=600)
        assert coordinator.returncode == INCOMPLETE, stderr
        assert "is full" in stderr and "rerun" in stderr and "Traceback" not in stderr, stderr
        for path in (out / "results").glob("*.json"):  # what was saved is whole
            assert json.loads(path.read_text())["status"] in ("graded", "grader-error")
        filler.unlink()
        assert_complete_after_rerun(class_dir, out)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


# ---------------------------------------------------------------- a student's notebook out of time

def test_notebook_out_of_time_keeps_earlier_points_and_gets_feedback(tmp_path, mnist_available):
    """Slow cells, none hung: the notebook's budget (wall limit minus 30 s) ends it inside nbgrader."""
    answers = synthetic_submissions.reference_answers()
    for cell in ("relu", "softmax", "mlp", "sgd"):
        answers[cell] = "import time\ntime.sleep(5)\n" + answers[cell]
    class_dir = tmp_path / "submitted"
    synthetic_submissions.write(synthetic_submissions.build(answers),
                                class_dir / "slowpoke" / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb")
    out = tmp_path / "out"
    result = run(class_dir, out, "--wall-timeout", 42)  # 12 s for the notebook: out of time in the MLP's cell
    assert result.returncode == 0, result.stderr
    row = assert_consistent(out)["slowpoke"]
    assert row["status"] == "timeout" and "ran out of time" in row["detail"], row
    assert row["test_linear_visible"] == "1" and row["test_linear_gradients"] == "3", row
    assert row["test_mnist_accuracy"] == "0" and float(row["seconds"]) < 42, row
    feedback = layout.student_notebook(out, "feedback", "slowpoke", ".html").read_text()
    assert "NotebookTimeLimit" in feedback and "Linear: gradient checks passed" in feedback
