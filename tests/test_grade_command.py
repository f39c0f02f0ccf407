"""`python -m autograder grade` on a small class: local pool, Dask, PostgreSQL, resumption,
bad input, and scores identical to plain sequential `nbgrader autograde`."""
import csv
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import pytest

from autograder.__main__ import main
from autograder.course import environment, layout, synthetic_submissions
from autograder.course.scratch_course import Course
from autograder.grading import gradebook
from tests.corpus import load_mutants, mutant_answers
from tests.postgres import PostgresServer, free_port

pytestmark = pytest.mark.kernel  # starts Jupyter kernels: make test, not make test-fast

GOOD = ["alice", "bob", "carol"]


def build_class(root, release_notebook):
    """A submitted/ tree: two correct, one mutant, one blank, and broken submissions."""
    dw_summed = next(m for m in load_mutants() if m["name"] == "dw_summed")
    notebooks = {
        "alice": synthetic_submissions.build(synthetic_submissions.reference_answers(), release_notebook),
        "bob": synthetic_submissions.build(mutant_answers(dw_summed), release_notebook),
        "carol": synthetic_submissions.build({}, release_notebook),
    }
    for student, notebook in notebooks.items():
        synthetic_submissions.write(notebook, root / student / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb")
    broken = root / "dave" / layout.ASSIGNMENT
    broken.mkdir(parents=True)
    (broken / f"{layout.NOTEBOOK}.ipynb").write_text('{"cells": [ this is not json')
    (root / "erin" / layout.ASSIGNMENT).mkdir(parents=True)
    latin = root / "frank" / layout.ASSIGNMENT
    latin.mkdir(parents=True)
    (latin / f"{layout.NOTEBOOK}.ipynb").write_bytes(b'{"cells": [], "caf\xe9": 1}')
    return root


@pytest.fixture(scope="session")
def class_dir(tmp_path_factory, mnist_available):
    course = Course.create(tmp_path_factory.mktemp("release") / "course")
    release_notebook = course.generate_assignment() / f"{layout.NOTEBOOK}.ipynb"
    return build_class(tmp_path_factory.mktemp("class") / "submitted", release_notebook)


def tree_digest(root):
    import hashlib
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(root).rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def read_csv(out):
    with open(out / "grades.csv", newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def without_seconds(table):
    """Grading times differ between runs; everything else must not."""
    return {s: {k: v for k, v in row.items() if k != "seconds"} for s, row in table.items()}


def grade(*args):
    assert main(["grade", layout.ASSIGNMENT, *map(str, args)]) == 0


@pytest.fixture(scope="session")
def local_run(class_dir, tmp_path_factory):
    before = tree_digest(class_dir)
    out = tmp_path_factory.mktemp("local") / "out"
    start = time.perf_counter()
    grade(class_dir, "--out", out, "--workers", 2)
    seconds = time.perf_counter() - start
    assert tree_digest(class_dir) == before, "submitted originals were modified"
    return out, read_csv(out), seconds


def test_every_student_gets_a_row_with_a_clear_status(local_run):
    out, rows, _ = local_run
    assert sorted(rows) == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert {s: rows[s]["status"] for s in rows} == {
        "alice": "graded", "bob": "graded", "carol": "graded",
        "dave": "corrupt-notebook", "erin": "empty", "frank": "not-utf8"}
    assert rows["alice"]["total"] == "23" and rows["alice"]["max"] == "25"
    assert rows["alice"]["exercise_answer"] == "", "the written answer awaits a person"
    assert rows["bob"]["test_linear_gradients"] == "0" and rows["bob"]["test_relu_gradients"] == "1"
    assert rows["carol"]["total"] == "0"
    assert all(rows[s]["detail"] for s in ["dave", "erin", "frank"])


def test_feedback_report_and_gradebook_are_written(local_run):
    out, rows, _ = local_run
    assert sorted(p.parts[-3] for p in (out / "feedback").glob("*/*/*.html")) == GOOD
    assert (out / "report.html").exists()
    assert {p.name for p in (out / "report").glob("*.png")} >= {"scores.png", "pass_rate.png", "grading_time.png"}
    stored = gradebook.scores(f"sqlite:///{out / 'gradebook.db'}")
    assert sorted(stored) == GOOD
    assert stored["alice"]["test_mnist_accuracy"] == 4 and stored["alice"]["exercise_answer"] is None


def test_report_names_bobs_mistake_and_the_copy_he_is(local_run):
    # through the whole grade command: the diagnosis rides on the failure from the kernel to the table
    from autograder.report import copied_work, misconceptions

    out, _, _ = local_run
    with open(out / misconceptions.CSV_NAME, newline="") as handle:
        table = {row["misconception"]: row["student_ids"].split() for row in csv.DictReader(handle)}
    dw_summed = next(m for m in load_mutants() if m["name"] == "dw_summed")
    for found in dw_summed["diagnosed"].values():
        assert "bob" in table[found], (found, table)
    assert table["not-implemented"] == ["carol"]  # the blank release
    assert not any("alice" in students for students in table.values())
    # bob's notebook is alice's with one line changed: the one pair that looks copied
    with open(out / copied_work.CSV_NAME, newline="") as handle:
        assert [(row["a"], row["b"]) for row in csv.DictReader(handle)] == [("alice", "bob")]
    page = (out / "report.html").read_text()
    assert "What the class got wrong" in page and "Work that looks copied (1 pair)" in page


# The same notebooks in the corpus graded by plain sequential nbgrader (the `graded` fixture, conftest.py).
SAME_NOTEBOOK_IN_CORPUS = {"alice": "reference-solution", "bob": "mutant-dw_summed", "carol": "blank"}


def test_parallel_scores_equal_plain_sequential_nbgrader(local_run, graded):
    _, rows, _ = local_run
    _, grades = graded
    for student, corpus_name in SAME_NOTEBOOK_IN_CORPUS.items():
        for grade_id, (score, _, manual) in grades[corpus_name]["cells"].items():
            expected = "" if manual else f"{score:g}"
            assert rows[student][grade_id] == expected, (student, grade_id)


def test_rerun_skips_graded_and_regrades_changed_submissions(local_run, class_dir, tmp_path, capsys):
    out, rows, _ = local_run
    resumed = tmp_path / "out"
    shutil.copytree(out, resumed)
    grade(class_dir, "--out", resumed)
    assert "0 to grade, 3 already graded" in capsys.readouterr().out
    assert read_csv(resumed) == rows

    changed = tmp_path / "submitted"
    shutil.copytree(class_dir, changed)
    notebook = changed / "carol" / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb"
    shutil.copy(class_dir / "alice" / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb", notebook)
    grade(changed, "--out", resumed)
    assert "1 to grade, 2 already graded" in capsys.readouterr().out
    assert read_csv(resumed)["carol"]["total"] == "23"


def test_interrupted_run_keeps_what_was_graded(local_run, tmp_path, capsys, class_dir):
    out, rows, _ = local_run
    partial = tmp_path / "out"
    shutil.copytree(out, partial)
    (partial / "results" / "bob.json").unlink()  # as if killed before bob finished
    grade(class_dir, "--out", partial)
    assert "1 to grade, 2 already graded" in capsys.readouterr().out
    assert without_seconds(read_csv(partial)) == without_seconds(rows)


def wait_for_port(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


@pytest.fixture
def dask_cluster(tmp_path):
    port = free_port()
    bin_dir = pathlib.Path(sys.executable).parent
    env = environment.child_env()
    procs = [subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    wait_for_port(port)
    address = f"tcp://127.0.0.1:{port}"
    for name in ("0", "1"):
        procs.append(subprocess.Popen([str(bin_dir / "dask"), "worker", address, "--nthreads", "1",
                                       "--nworkers", "1", "--name", name, "--no-dashboard",
                                       "--local-directory", str(tmp_path / f"w{name}")],
                                      env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client
    with Client(address, timeout="60s") as client:
        client.wait_for_workers(2, timeout=120)
    yield address
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


def test_dask_cluster_gives_identical_results(local_run, class_dir, dask_cluster, tmp_path):
    _, rows, _ = local_run
    grade(class_dir, "--out", tmp_path / "out", "--scheduler", dask_cluster)
    assert without_seconds(read_csv(tmp_path / "out")) == without_seconds(rows)


@pytest.fixture
def postgres_url():
    server = PostgresServer()
    try:
        yield server.url
    finally:
        server.remove()


def test_postgresql_gradebook_holds_the_same_scores(local_run, class_dir, postgres_url, tmp_path):
    _, rows, _ = local_run
    grade(class_dir, "--out", tmp_path / "out", "--db", postgres_url)
    stored = gradebook.scores(postgres_url)
    assert sorted(stored) == GOOD
    for student in GOOD:
        for grade_id, score in stored[student].items():
            assert rows[student][grade_id] == ("" if score is None else f"{score:g}"), (student, grade_id)


def give_manual_grade(out, student, score, comment):
    """What Formgrader does when a person scores the written answer (the browser tier drives the real UI)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as book:
        grade = book.find_grade("exercise_answer", layout.NOTEBOOK, layout.ASSIGNMENT, student)
        grade.manual_score, grade.needs_manual_grade = score, False
        book.find_comment("exercise_answer", layout.NOTEBOOK, layout.ASSIGNMENT, student).manual_comment = comment
        book.db.commit()


def test_output_is_an_nbgrader_course_formgrader_and_export_can_open(local_run, tmp_path):
    out, _, _ = local_run
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)  # the course root is the folder itself: it can be moved
    for student in GOOD:
        assert (moved / "autograded" / student / layout.ASSIGNMENT / f"{layout.NOTEBOOK}.ipynb").is_file()
    assert not (moved / "autograded" / "dave").exists(), "nothing ran for an unreadable submission"
    give_manual_grade(moved, "alice", 1.5, "Say why.")
    subprocess.run([sys.executable, "-m", "nbgrader", "export"], cwd=moved, check=True, capture_output=True)
    with open(moved / "nbgrader-grades.csv", newline="") as f:
        exported = {row["student_id"]: row for row in csv.DictReader(f)}
    assert float(exported["alice"]["score"]) == 24.5
    assert read_csv(moved)["alice"]["total"] == "23", "nbgrader export must not overwrite grades.csv"


def test_publish_carries_manual_scores_and_comments_into_csv_report_and_feedback(local_run, class_dir, tmp_path,
                                                                                 capsys):
    out, rows, _ = local_run
    published = tmp_path / "out"
    shutil.copytree(out, published)
    give_manual_grade(published, "alice", 1.5, "Good numbers; say why the wide network is slower.")
    assert main(["publish", "--out", str(published)]) == 0
    assert "manual grades or comments of 1 carried into their feedback" in capsys.readouterr().out
    after = read_csv(published)
    assert (after["alice"]["exercise_answer"], after["alice"]["total"]) == ("1.5", "24.5")
    assert without_seconds({s: r for s, r in after.items() if s != "alice"}) == \
        without_seconds({s: r for s, r in rows.items() if s != "alice"}), "only alice changed"
    page = layout.student_notebook(published, "feedback", "alice", ".html").read_text()
    assert "say why the wide network is slower" in page
    assert "awaits a person: exercise_answer" not in \
        (published / "report.html").read_text().split("<h2>Students</h2>")[1].split("</tr>")[1]
    grade(class_dir, "--out", published)  # a rerun keeps the person's score
    assert read_csv(published)["alice"]["exercise_answer"] == "1.5"
    assert main(["publish", "--out", str(tmp_path)]) == 2, "a folder that holds no graded class is refused"
