"""Intake of a class's submissions: layouts, every status, and safety of the originals."""
import hashlib
import json
import os
import pathlib
import zipfile

import nbformat
import pytest

from autograder import result
from autograder.grading.intake import IntakeError, containers, discover

ASSIGNMENT = "task4_1"
NB = "numpy_neural_network"
NB_FILE = f"{NB}.ipynb"


# ---------------------------------------------------------------- helpers

def notebook_bytes(source="x = 1"):
    """A tiny valid notebook."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    return nbformat.writes(nb).encode("utf-8")


def write(path, data=None, mtime=None):
    """Write bytes (a valid notebook by default), optionally with a given mtime."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(notebook_bytes() if data is None else data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def run(submissions, tmp_path, **kwargs):
    """discover() into a fresh staging folder; {student_id: Submission}."""
    staging = tmp_path / "staging"
    rows = discover(submissions, ASSIGNMENT, NB, staging, **kwargs)
    assert [r.student_id for r in rows] == sorted(r.student_id for r in rows)
    by_id = {r.student_id: r for r in rows}
    assert len(by_id) == len(rows), "one row per student"
    for row in rows:
        assert row.status in result.INTAKE
        if row.status == "ok":
            assert row.notebook == staging / row.student_id / NB_FILE
            nbformat.validate(nbformat.read(str(row.notebook), as_version=4))
        else:
            assert row.notebook is None
    return by_id


def snapshot(root):
    """Names, bytes, link targets and mtimes of everything under root (or of one file)."""
    root = pathlib.Path(root)
    if root.is_file():
        return {".": (hashlib.sha256(root.read_bytes()).hexdigest(), root.stat().st_mtime_ns)}
    state = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = pathlib.Path(folder, name)
            st = path.lstat()
            if path.is_symlink():
                content = "link:" + os.readlink(path)
            elif path.is_file():
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = "dir"
            state[str(path.relative_to(root))] = (content, st.st_mtime_ns, st.st_mode)
    return state


def make_zip(path, members):
    """members: [(name, bytes) or (ZipInfo, bytes)]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def zip_info(name, date_time=(2025, 11, 20, 10, 0, 0), external_attr=None):
    info = zipfile.ZipInfo(name, date_time=date_time)
    if external_attr is not None:
        info.external_attr = external_attr
    return info


# ---------------------------------------------------------------- nbgrader tree

@pytest.fixture
def tree(tmp_path):
    """submitted/<student>/task4_1/ with one student per situation."""
    root = tmp_path / "submitted"
    a = ASSIGNMENT
    write(root / "s_ok" / a / NB_FILE, mtime=1_700_000_000)
    write(root / "s_ok" / a / ".ipynb_checkpoints" / f"{NB}-checkpoint.ipynb")
    write(root / "s_renamed" / a / "my work.ipynb")
    write(root / "s_extras" / a / NB_FILE)
    write(root / "s_extras" / a / "helper.py", b"pass\n")
    write(root / "s_extras" / a / "scratch.ipynb")
    write(root / "s_ambiguous" / a / "one.ipynb")
    write(root / "s_ambiguous" / a / "two.ipynb")
    write(root / "s_nonb" / a / "answers.py", b"print(1)\n")
    (root / "s_emptydir" / a).mkdir(parents=True)
    write(root / "s_emptydir" / a / ".DS_Store", b"junk")
    write(root / "s_zero" / a / NB_FILE, b"")
    write(root / "s_other_assignment" / "task3" / NB_FILE)
    write(root / "s_json" / a / NB_FILE, b'{"cells": [')
    write(root / "s_notnb" / a / NB_FILE, b'{"hello": "world"}')
    write(root / "s_badcell" / a / NB_FILE, json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "id": "a", "metadata": {}, "source": "x"}]}).encode())
    write(root / "s_latin1" / a / NB_FILE, notebook_bytes("name = 'Müller'").replace(
        "Müller".encode(), "Müller".encode("latin-1")))
    write(root / "s_big" / a / NB_FILE, notebook_bytes("x = '" + "a" * 5000 + "'"))
    write(root / "bad name" / a / NB_FILE)
    write(root / "stray.ipynb")
    write(root / "README.txt", b"not a submission")
    return root


def test_each_kind_of_bad_submission_gets_its_status(tree, tmp_path):
    rows = run(tree, tmp_path, max_bytes=4000)
    status = {sid: row.status for sid, row in rows.items()}
    assert status == {
        "s_ok": "ok", "s_renamed": "ok", "s_extras": "ok",
        "s_ambiguous": "ambiguous-notebooks", "s_nonb": "no-notebook",
        "s_emptydir": "empty", "s_zero": "empty", "s_other_assignment": "empty",
        "s_json": "corrupt-notebook", "s_notnb": "corrupt-notebook", "s_badcell": "corrupt-notebook",
        "s_latin1": "not-utf8", "s_big": "too-large",
        "unknown:bad_name": "bad-filename", "unknown:stray": "bad-filename",
    }
    assert "characters other than" in rows["unknown:bad_name"].detail
    assert "not inside" in rows["unknown:stray"].detail
    assert "not valid JSON" in rows["s_json"].detail
    assert "one.ipynb, two.ipynb" in rows["s_ambiguous"].detail
    assert "answers.py" in rows["s_nonb"].detail
    assert "no task4_1/ folder" in rows["s_other_assignment"].detail
    assert "limit" in rows["s_big"].detail
    assert all(row.detail for row in rows.values() if row.status != "ok")


def test_tree_ok_row_is_a_staged_copy(tree, tmp_path):
    row = run(tree, tmp_path)["s_ok"]
    original = tree / "s_ok" / ASSIGNMENT / NB_FILE
    assert row.notebook.read_bytes() == original.read_bytes()
    assert row.digest == hashlib.sha256(original.read_bytes()).hexdigest()
    assert row.origin == str(original)
    assert row.mtime == 1_700_000_000
    assert row.detail == ""


def test_tree_renamed_and_extras(tree, tmp_path):
    rows = run(tree, tmp_path)
    assert rows["s_renamed"].detail == f"renamed from my work.ipynb; graded as {NB_FILE}"
    assert rows["s_renamed"].notebook.name == NB_FILE
    extras = rows["s_extras"]
    assert extras.origin.endswith(os.path.join("s_extras", ASSIGNMENT, NB_FILE))
    assert "helper.py" in extras.detail and "scratch.ipynb" in extras.detail


def test_nested_notebook_used_only_when_none_at_top(tmp_path):
    root = tmp_path / "submitted"
    write(root / "s1" / ASSIGNMENT / "sub" / NB_FILE)
    write(root / "s2" / ASSIGNMENT / NB_FILE)
    write(root / "s2" / ASSIGNMENT / "old" / NB_FILE, mtime=2_000_000_000)
    rows = run(root, tmp_path)
    assert rows["s1"].status == "ok" and f"taken from sub/{NB_FILE}" in rows["s1"].detail
    assert rows["s2"].origin == str(root / "s2" / ASSIGNMENT / NB_FILE)
    assert f"ignored old/{NB_FILE}" in rows["s2"].detail


def test_repairable_notebook_is_accepted_and_staged_repaired(tmp_path):
    root = tmp_path / "submitted"
    nb = json.loads(notebook_bytes())
    del nb["cells"][0]["id"]                                   # missing cell id (format 4.5)
    nb["cells"][0]["metadata"]["collapsed"] = "yes"            # invalid metadata value
    write(root / "s1" / ASSIGNMENT / NB_FILE, json.dumps(nb).encode())
    write(root / "s2" / ASSIGNMENT / NB_FILE, b"\xef\xbb\xbf" + notebook_bytes())   # UTF-8 BOM
    rows = run(root, tmp_path)
    assert rows["s1"].status == "ok" and "repaired" in rows["s1"].detail
    assert rows["s2"].status == "ok" and "byte-order mark" in rows["s2"].detail
    original = (root / "s2" / ASSIGNMENT / NB_FILE).read_bytes()
    assert rows["s2"].digest == hashlib.sha256(original).hexdigest()   # digest of what was submitted


def test_old_format_is_converted_in_the_staged_copy(tmp_path):
    root = tmp_path / "submitted"
    v3 = nbformat.v3
    old = nbformat.v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell("x = 1")])])
    write(root / "s1" / ASSIGNMENT / NB_FILE, nbformat.writes(old, version=3).encode())
    row = run(root, tmp_path)["s1"]
    assert row.status == "ok" and "converted from notebook format 3" in row.detail
    assert nbformat.read(str(row.notebook), as_version=nbformat.NO_CONVERT).nbformat == 4


@pytest.mark.skipif(os.geteuid() == 0, reason="root can list any folder")
def test_unlistable_folder_is_a_row(tmp_path):
    root = tmp_path / "submitted"
    write(root / "s1" / ASSIGNMENT / NB_FILE)
    locked = root / "s2" / ASSIGNMENT
    write(locked / NB_FILE)
    locked.chmod(0)
    try:
        rows = run(root, tmp_path)
    finally:
        locked.chmod(0o755)
    assert rows["s1"].status == "ok"
    assert rows["s2"].status == "corrupt-notebook" and "could not be listed" in rows["s2"].detail


def test_symlinks_leaving_the_folder_are_refused(tmp_path):
    root = tmp_path / "submitted"
    outside = write(tmp_path / "elsewhere" / "secret.ipynb")
    write(root / "s_in" / "shared" / "real.ipynb")
    (root / "s_out" / ASSIGNMENT).mkdir(parents=True)
    (root / "s_out" / ASSIGNMENT / NB_FILE).symlink_to(outside)
    (root / "s_in" / ASSIGNMENT).mkdir(parents=True)
    (root / "s_in" / ASSIGNMENT / NB_FILE).symlink_to(root / "s_in" / "shared" / "real.ipynb")
    (root / "s_dirlink").mkdir()
    (root / "s_dirlink" / ASSIGNMENT).symlink_to(outside.parent, target_is_directory=True)
    (root / "s_whole").symlink_to(outside.parent, target_is_directory=True)
    (root / "loose.ipynb").symlink_to(outside)
    before = snapshot(tmp_path / "elsewhere")
    rows = run(root, tmp_path)
    assert rows["s_out"].status == "unsafe-path" and "outside" in rows["s_out"].detail
    assert rows["s_dirlink"].status == "unsafe-path"
    assert rows["s_whole"].status == "unsafe-path"
    assert rows["unknown:loose"].status == "unsafe-path"
    assert rows["s_in"].status == "ok"   # a link to a file inside SUBMISSIONS is fine
    assert snapshot(tmp_path / "elsewhere") == before


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_file_is_refused_not_read(tmp_path):
    root = tmp_path / "submitted"
    (root / "s1" / ASSIGNMENT).mkdir(parents=True)
    os.mkfifo(root / "s1" / ASSIGNMENT / NB_FILE)   # reading it would block forever
    assert run(root, tmp_path)["s1"].status == "unsafe-path"


def test_too_large_is_decided_without_reading(tmp_path, monkeypatch):
    root = tmp_path / "submitted"
    write(root / "s1" / ASSIGNMENT / NB_FILE)
    monkeypatch.setattr(containers, "_open_regular", lambda path: pytest.fail("read an oversized notebook"))
    row = run(root, tmp_path, max_bytes=100)["s1"]
    assert row.status == "too-large" and row.digest == ""


# ---------------------------------------------------------------- flat LMS downloads

def test_a_flat_lms_folder_is_grouped_by_student_newest_first(tmp_path):
    root = tmp_path / "downloads"
    write(root / f"s1234567_{NB_FILE}")
    write(root / f"jdoe_attempt_2025-11-20-10-33-01_{NB_FILE}", mtime=1_000)
    write(root / f"jdoe_attempt_2025-11-21-09-00-00_{NB_FILE}", mtime=3_000)
    write(root / f"jdoe_attempt_2025-11-19-08-00-00_{NB_FILE}", mtime=2_000)
    write(root / "amy_homework.ipynb")
    write(root / "amy_notes.txt", b"hi")
    write(root / "bob_a.ipynb")
    write(root / "bob_b.ipynb")
    write(root / "carl_answers.py", b"x = 1\n")
    write(root / "dan_empty.ipynb", b"")
    write(root / "README.ipynb")
    write(root / NB_FILE)                       # no student id at all
    write(root / "index.html", b"<html>")
    write(root / ".DS_Store", b"junk")
    rows = run(root, tmp_path)
    assert {sid: r.status for sid, r in rows.items()} == {
        "s1234567": "ok", "jdoe": "ok", "amy": "ok", "bob": "ambiguous-notebooks", "carl": "no-notebook",
        "dan": "empty", "unknown:README": "bad-filename", f"unknown:{NB}": "bad-filename",
        "unknown:index": "bad-filename"}
    newest = root / f"jdoe_attempt_2025-11-21-09-00-00_{NB_FILE}"
    assert rows["jdoe"].detail == f"3 submissions; graded the newest ({newest})"
    assert rows["jdoe"].origin == str(newest) and rows["jdoe"].mtime == 3_000
    assert rows["amy"].detail == f"renamed from amy_homework.ipynb; graded as {NB_FILE}; ignored amy_notes.txt"


def test_flat_student_id_with_unsafe_characters(tmp_path):
    root = tmp_path / "downloads"
    write(root / f"x!y_{NB_FILE}")
    write(root / f"ok1_{NB_FILE}")
    rows = run(root, tmp_path, pattern=r"(?P<student>[^_]+)_")
    assert rows["ok1"].status == "ok"
    bad = rows[f"unknown:x_y_{NB}"]
    assert bad.status == "bad-filename" and "characters other than" in bad.detail
    assert sorted(p.name for p in (tmp_path / "staging").iterdir()) == ["ok1"]


def test_a_custom_pattern_finds_the_student_id(tmp_path):
    root = tmp_path / "downloads"
    write(root / f"{NB}-s1111111.ipynb")
    write(root / f"{NB}-s2222222.ipynb")
    write(root / "something.ipynb")
    rows = run(root, tmp_path, pattern=rf"{NB}-(?P<student>s\d{{7}})\.ipynb$")
    assert rows["s1111111"].status == rows["s2222222"].status == "ok"
    assert rows["unknown:something"].status == "bad-filename"


def test_unknown_ids_are_unique(tmp_path):
    root = tmp_path / "downloads"
    write(root / "x.ipynb")
    write(root / "x.txt", b"x")
    assert sorted(run(root, tmp_path)) == ["unknown:x", "unknown:x-2"]


# ---------------------------------------------------------------- zips

def test_zip_of_flat_downloads_with_duplicates(tmp_path):
    new = notebook_bytes("new = 1")
    archive = make_zip(tmp_path / "class.zip", [
        (zip_info(f"s1_old_{NB_FILE}", (2025, 11, 20, 10, 0, 0)), notebook_bytes("old = 1")),
        (zip_info(f"s1_new_{NB_FILE}", (2025, 11, 21, 10, 0, 0)), new),
        (f"s2_{NB_FILE}", b"\xff\xfe not utf-8"),
        (f"s3_{NB_FILE}", b"[1, 2"),
        ("s4_readme.txt", b"hello"),
    ])
    rows = run(archive, tmp_path)
    assert {sid: r.status for sid, r in rows.items()} == {
        "s1": "ok", "s2": "not-utf8", "s3": "corrupt-notebook", "s4": "no-notebook"}
    assert rows["s1"].detail == f"2 submissions; graded the newest ({archive}:s1_new_{NB_FILE})"
    assert "new = 1" in rows["s1"].notebook.read_text()
    assert rows["s1"].origin == f"{archive}:s1_new_{NB_FILE}"
    assert rows["s1"].digest == hashlib.sha256(new).hexdigest()


def test_zip_of_tree_and_of_wrapped_tree(tmp_path):
    members = [(f"s1/{ASSIGNMENT}/{NB_FILE}", notebook_bytes()),
               (f"s2/{ASSIGNMENT}/other.ipynb", notebook_bytes()),
               (f"s3/{ASSIGNMENT}/", b""),
               ("__MACOSX/s1/._x", b"junk")]
    plain = run(make_zip(tmp_path / "tree.zip", members), tmp_path)
    assert {sid: r.status for sid, r in plain.items()} == {"s1": "ok", "s2": "ok", "s3": "empty"}
    assert plain["s2"].detail.startswith("renamed from other.ipynb")
    wrapped = discover(make_zip(tmp_path / "wrapped.zip", [(f"submitted/{n}", d) for n, d in members]),
                       ASSIGNMENT, NB, tmp_path / "staging2")
    assert {r.student_id: r.status for r in wrapped} == {"s1": "ok", "s2": "ok", "s3": "empty"}
    assert wrapped[0].origin == f"{tmp_path / 'wrapped.zip'}:submitted/s1/{ASSIGNMENT}/{NB_FILE}"


def test_zip_of_wrapped_flat_folder_with_a_slip_entry(tmp_path):
    archive = make_zip(tmp_path / "dl.zip", [
        (f"downloads/s1_{NB_FILE}", notebook_bytes()),
        ("downloads/s2_work.ipynb", notebook_bytes()),
        (f"downloads/../../etc/s5_{NB_FILE}", notebook_bytes()),   # must not defeat the unwrapping
    ])
    rows = run(archive, tmp_path)
    assert {sid: r.status for sid, r in rows.items()} == {"s1": "ok", "s2": "ok", "unknown:etc": "unsafe-path"}


def test_zip_unsafe_entries_are_never_extracted(tmp_path):
    archive = make_zip(tmp_path / "in" / "evil.zip", [
        ("../evil.ipynb", notebook_bytes()),
        ("/abs.ipynb", notebook_bytes()),
        (f"s1/../../s9_{NB_FILE}", notebook_bytes()),
        (zip_info(f"s3_{NB_FILE}", external_attr=0o120777 << 16), b"/etc/passwd"),
        (f"s4_{NB_FILE}", notebook_bytes()),
    ])
    before = set(tmp_path.rglob("*"))
    rows = run(archive, tmp_path)
    assert {sid: r.status for sid, r in rows.items()} == {
        "unknown:evil": "unsafe-path", "unknown:abs": "unsafe-path", "s9": "unsafe-path",
        "s3": "unsafe-path", "s4": "ok"}
    assert "symlink" in rows["s3"].detail and ".." in rows["unknown:evil"].detail
    written = set(tmp_path.rglob("*")) - before
    assert written and all(p.is_relative_to(tmp_path / "staging") for p in written)


def test_zip_oversized_member_is_refused_from_its_header(tmp_path, monkeypatch):
    archive = make_zip(tmp_path / "big.zip", [(f"s1_{NB_FILE}", notebook_bytes("x = '" + "a" * 5000 + "'"))])
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("opened an oversized member"))
    assert run(archive, tmp_path, max_bytes=1000)["s1"].status == "too-large"


# ---------------------------------------------------------------- originals and fatal errors

def test_originals_are_untouched(tree, tmp_path):
    (tree / "s_link").mkdir()
    (tree / "s_link" / ASSIGNMENT).mkdir()
    (tree / "s_link" / ASSIGNMENT / NB_FILE).symlink_to(tree / "s_ok" / ASSIGNMENT / NB_FILE)
    archive = make_zip(tmp_path / "class.zip", [(f"s1_{NB_FILE}", notebook_bytes()), ("../x.ipynb", b"{}")])
    before = snapshot(tree), snapshot(archive)
    run(tree, tmp_path, max_bytes=4000)
    discover(archive, ASSIGNMENT, NB, tmp_path / "staging2")
    assert (snapshot(tree), snapshot(archive)) == before


def test_unreadable_submissions_raise(tmp_path):
    with pytest.raises(IntakeError, match="does not exist"):
        discover(tmp_path / "missing", ASSIGNMENT, NB, tmp_path / "staging")
    corrupt = tmp_path / "class.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(IntakeError, match="zip"):
        discover(corrupt, ASSIGNMENT, NB, tmp_path / "staging")
    with pytest.raises(IntakeError, match="student"):
        discover(tmp_path, ASSIGNMENT, NB, tmp_path / "staging", pattern=r"(?P<id>\w+)_")
    with pytest.raises(IntakeError, match="invalid"):
        discover(tmp_path, ASSIGNMENT, NB, tmp_path / "staging", pattern=r"(?P<student>")
    assert issubclass(IntakeError, ValueError)


def test_empty_inputs_give_no_rows(tmp_path):
    (tmp_path / "empty").mkdir()
    assert discover(tmp_path / "empty", ASSIGNMENT, NB, tmp_path / "staging") == []
    assert discover(make_zip(tmp_path / "e.zip", []), ASSIGNMENT, NB, tmp_path / "staging") == []
