"""The adversarial corpus (tests/adversarial) graded by `python -m autograder grade`, every outcome enforced.

One class holds every case plus two honest students.  Its folders sit outside the
temporary directories (which the sandbox replaces anyway) and are world-readable, so
only the grader's own hiding keeps students out of them.
"""
import csv
import hashlib
import html
import os
import pathlib
import pwd
import shutil
import tempfile
import zipfile

import pytest

from autograder import result
from autograder.__main__ import main
from autograder.course import layout
from autograder.grading import gradebook
from autograder.sandbox import users
from tests.adversarial import ALL_TESTS, CANARY, CASES, Context

pytestmark = [pytest.mark.kernel, pytest.mark.slow,  # two minutes of grading: make test-slow (CI runs it)
              pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox (unprivileged user, namespaces) needs root")]

POINTS = {"test_linear_gradients": 3, "test_cross_entropy_gradients": 2, "test_mlp_gradients": 2,
          "test_mnist_accuracy": 4}


def exposed_root():
    """A world-readable folder outside every temporary directory."""
    for parent in ("/srv", "/opt", "/var/lib"):
        if os.access(parent, os.W_OK):
            root = pathlib.Path(tempfile.mkdtemp(prefix="task41-adversarial-", dir=parent))
            root.chmod(0o755)
            return root
    pytest.skip("no writable folder outside the temporary directories")


def tree_digest(root):
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(root).rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def sandbox_uids():
    return [entry.pw_uid for entry in pwd.getpwall() if entry.pw_name.startswith(users.USER_PREFIX)]


@pytest.fixture(scope="module")
def graded(mnist_available):
    root = exposed_root()
    ctx = Context(repo=layout.REPO, out=root / "out", class_dir=root / "submitted", canary_dir=root / "canary")
    ctx.canary_dir.mkdir(mode=0o777)
    ctx.canary_dir.chmod(0o777)  # only the sandbox, not permissions, keeps students out
    for case in CASES:
        case.write(ctx.class_dir / case.name / layout.ASSIGNMENT, ctx)
    before = tree_digest(ctx.class_dir)
    try:  # 3 workers on 2 cores: many attacks wait on a limit rather than compute
        assert main(["grade", layout.ASSIGNMENT, str(ctx.class_dir), "--out", str(ctx.out), "--workers", "3",
                     "--wall-timeout", "600"]) == 0
        with open(ctx.out / "grades.csv", newline="") as f:
            rows = {row["student_id"]: row for row in csv.DictReader(f)}
        yield ctx, rows, before
    finally:
        shutil.rmtree(root, ignore_errors=True)


def points(grade_id):
    return POINTS.get(grade_id, 1)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_attack_gets_its_expected_status_and_points(graded, case):
    ctx, rows, _ = graded
    row = rows[case.name]
    summary = f"{case.name} ({case.threat}): {row['status']} {row['total']}/{row['max']} {row['detail'][:300]}"
    assert row["status"] == case.status, summary
    assert row["max"] == "25", summary
    zero = ALL_TESTS if case.zero == "all" else case.zero
    undeserved = {g: row[g] for g in zero if row[g] not in ("", "0")}
    assert not undeserved, f"undeserved points {undeserved}: {summary}"
    lost = {g: row[g] for g in case.full if row[g] != str(points(g))}
    assert not lost, f"deserved points lost {lost}: {summary}"
    assert case.detail.lower() in row["detail"].lower(), summary
    if case.seconds is not None:
        assert float(row["seconds"]) <= case.seconds, summary
    if case.feedback:
        page = layout.student_notebook(ctx.out, "feedback", case.name, ".html")
        assert case.feedback in html.unescape(page.read_text()), f"feedback lacks {case.feedback!r}: {summary}"


def test_every_graded_notebook_gets_feedback(graded):
    """timeout and crashed rows included: the page says what was graded and where it stopped."""
    ctx, rows, _ = graded
    scored = {s for s, r in rows.items() if r["status"] in result.SCORED}
    assert {"break-os-exit", "break-hung-method-ignoring-interrupts"} <= scored
    assert {p.parts[-3] for p in (ctx.out / "feedback").glob("*/*/*.html")} == scored


def test_gradebook_holds_exactly_the_csv_scores(graded):
    ctx, rows, _ = graded
    stored = gradebook.scores(f"sqlite:///{ctx.out / 'gradebook.db'}")
    scored = {s for s, r in rows.items() if r["status"] in result.SCORED}
    assert set(stored) == scored
    for student in scored:
        for grade_id in ALL_TESTS:
            assert f"{stored[student][grade_id]:g}" == rows[student][grade_id], (student, grade_id)


def test_nothing_outside_the_sandbox_was_touched(graded):
    ctx, rows, before = graded
    assert tree_digest(ctx.class_dir) == before, "submitted originals were modified"
    assert list(ctx.canary_dir.iterdir()) == [], "student code wrote into a host folder"
    assert not (ctx.repo / "canary").exists()
    assert not (ctx.repo / "source" / layout.ASSIGNMENT / "pwned.py").exists()
    honest = (ctx.out / "results" / "honest-a.json").read_text()
    assert CANARY not in honest and '"score": 23.0' in honest
    assert all(not users.live_processes(uid=uid) for uid in sandbox_uids()), "a student process outlived grading"


def test_hidden_material_never_reaches_feedback(graded):
    ctx, rows, _ = graded
    feedback = layout.student_notebook(ctx.out, "feedback", "reach-read-files", ".html").read_text()
    # what the student's code printed: "READ <path> <content>" for every file it could open
    for secret in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", f"READ {ctx.repo}/source", f"READ {ctx.out}",
                   f"READ {ctx.class_dir}", "gradebook.db SQLite format"):
        assert secret not in feedback, secret
    writes = layout.student_notebook(ctx.out, "feedback", "reach-write-grades", ".html").read_text()
    assert f"WROTE {ctx.out}" not in writes and f"WROTE {ctx.canary_dir}" not in writes
    assert f"refused {ctx.out}/gradebook.db" in writes and f"refused {ctx.canary_dir}/from-student" in writes


def test_output_floods_are_capped(graded):
    ctx, rows, _ = graded
    assert layout.student_notebook(ctx.out, "feedback", "break-output-flood", ".html").stat().st_size < 5 * 2**20


def test_zip_entries_escaping_the_folder_become_rows(tmp_path):
    archive = tmp_path / "downloads" / "class.zip"
    archive.parent.mkdir()
    notebook = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escapee_" + f"{layout.NOTEBOOK}.ipynb", notebook)
        zf.writestr("/rooted_" + f"{layout.NOTEBOOK}.ipynb", notebook)
        link = zipfile.ZipInfo(f"linker_{layout.NOTEBOOK}.ipynb")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    out = tmp_path / "out"
    assert main(["grade", layout.ASSIGNMENT, str(archive), "--out", str(out)]) == 0
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and {r["status"] for r in rows} == {"unsafe-path"}
    assert all(r["total"] == "0" and r["detail"] for r in rows)
    assert not (tmp_path / f"escapee_{layout.NOTEBOOK}.ipynb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads", "out"]
