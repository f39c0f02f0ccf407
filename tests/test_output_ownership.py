"""Graded as root, the output belongs to whoever will open it: their Formgrader then starts without
--allow-root (never as root) and can write the gradebook and the scores."""
import os

import pytest

from autograder.grading import course_output

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
INSTRUCTOR = (12345, 12346)


def made_by_root(out):
    (out / "autograded" / "alice").mkdir(parents=True)
    (out / "gradebook.db").write_text("")
    (out / "autograded" / "alice" / "n.ipynb").write_text("{}")
    return [out, out / "gradebook.db", out / "autograded" / "alice" / "n.ipynb"]


def owners(paths):
    return {(p.stat().st_uid, p.stat().st_gid) for p in paths}


def test_a_folder_made_by_sudo_goes_to_the_account_that_ran_sudo(tmp_path, monkeypatch):
    monkeypatch.setenv("SUDO_UID", str(INSTRUCTOR[0]))
    monkeypatch.setenv("SUDO_GID", str(INSTRUCTOR[1]))
    paths = made_by_root(tmp_path / "grading")
    course_output.give_to_owner(tmp_path / "grading")
    assert owners(paths) == {INSTRUCTOR}


def test_without_sudo_it_goes_to_the_owner_of_the_folder_around_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SUDO_UID", raising=False)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    os.chown(checkout, *INSTRUCTOR)
    paths = made_by_root(checkout / "grading")
    course_output.give_to_owner(checkout / "grading")
    assert owners(paths) == {INSTRUCTOR}


def test_a_folder_someone_owns_stays_theirs_and_roots_own_stays_roots(tmp_path, monkeypatch):
    monkeypatch.setenv("SUDO_UID", "777")  # the folder's own owner wins over whoever ran sudo
    course = tmp_path / "course"
    course.mkdir()
    os.chown(course, *INSTRUCTOR)
    paths = made_by_root(course)
    course_output.give_to_owner(course)
    assert owners(paths) == {INSTRUCTOR}

    monkeypatch.delenv("SUDO_UID")
    mine = made_by_root(tmp_path / "root-only" / "grading")  # root's folder in root's folder: nobody else
    course_output.give_to_owner(tmp_path / "root-only" / "grading")
    assert owners(mine) == {(0, 0)}
