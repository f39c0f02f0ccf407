"""The sandbox's mount plan, pure logic on paths (no root, no mounts), and the variables a kernel keeps."""
import os
import pathlib
import shutil
import tempfile
import types

import pytest

from autograder.sandbox import confinement
from autograder.sandbox.confinement import plan_mounts

STUDENT = types.SimpleNamespace(pw_uid=54321, pw_gid=54321)  # owns nothing here: sees only "other" bits


@pytest.fixture
def tmp_path():
    """A folder every user may enter (pytest's own tmp_path sits below a 0700 folder, itself a blocker)."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="plan-mounts-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root)


def folders(root, *names, mode=0o755):
    made = []
    for name in names:
        path = pathlib.Path(root, name)
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)
        made.append(pathlib.Path(os.path.realpath(path)))
    return made


def test_needed_folders_inside_a_hidden_one_are_mounted_back_read_only_and_writable_ones_writable(tmp_path):
    hidden, env, cwd, scratch = folders(tmp_path, "course", "course/venv", "course/work", "course/scratch")
    empty, fresh, back = plan_mounts([hidden], [], {env}, cwd, [scratch], STUDENT)
    assert empty == [hidden] and fresh == []
    assert back == sorted([(env, False), (cwd, False), (scratch, True)])


def test_a_needed_folder_that_contains_a_hidden_one_is_not_mounted_back(tmp_path):
    home, repo, secret, cwd = folders(tmp_path, "home", "home/repo", "home/repo/source", "home/work")
    empty, _, back = plan_mounts([home, secret], [], {repo}, cwd, [], STUDENT)
    assert empty == [home] and back == [(cwd, False)], "mounting home/repo back would show home/repo/source"


def test_nested_folders_collapse_to_the_outer_one(tmp_path):
    outer, inner, lib, sub, cwd = folders(tmp_path, "a", "a/b", "a/lib", "a/lib/sub", "a/work")
    empty, _, back = plan_mounts([outer, inner], [], {lib, sub}, cwd, [], STUDENT)
    assert empty == [outer]
    assert back == sorted([(lib, False), (cwd, False)]), "a/lib/sub comes back with a/lib"


def test_a_folder_the_student_cannot_enter_is_hidden_with_what_is_needed_below_it_mounted_back(tmp_path):
    (locked,) = folders(tmp_path, "locked", mode=0o700)
    env, cwd = folders(tmp_path, "locked/env", "work")
    empty, _, back = plan_mounts([], [], {env}, cwd, [], STUDENT)
    assert locked in empty and (env, False) in back


def test_fresh_folders_get_a_tmpfs_and_missing_ones_are_ignored(tmp_path):
    (tmp,) = folders(tmp_path, "tmp")
    cwd, = folders(tmp_path, "work")
    empty, fresh, back = plan_mounts([tmp_path / "absent"], [tmp, tmp_path / "gone"], set(), cwd, [], STUDENT)
    assert empty == [] and fresh == [tmp] and back == []


def test_a_kernel_keeps_only_the_data_variables_it_is_given(tmp_path):
    environ = {"PATH": "/bin", "VECTORS_DIR": "/data/vectors", "MNIST_DIR": "/data/mnist", "AWS_SECRET_ACCESS_KEY": "x"}
    env = confinement.kernel_environment(tmp_path, ["VECTORS_DIR"], environ=environ)
    assert env["VECTORS_DIR"] == "/data/vectors" and env["PATH"] == "/bin"
    assert "MNIST_DIR" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert "MNIST_DIR" not in confinement.kernel_environment(tmp_path, environ=environ)
