"""autograder.kernel.integrity (the tamper check GuardedExecute runs in the kernel) and the stamped gradebook."""
import builtins
import sqlite3

import numpy as np
import pytest

from autograder.grading import gradebook
from autograder.kernel import integrity


def test_an_untouched_process_has_no_problems():
    assert integrity.problems({"np": np}) == []
    integrity.verify({"np": np})


@pytest.mark.parametrize("module, name, label", [
    (np, "allclose", "np.allclose"),
    (np.testing, "assert_allclose", "np.testing.assert_allclose"),
    (np.random, "default_rng", "np.random.default_rng"),
    (builtins, "abs", "builtin abs"),
])
def test_replaced_functions_are_named(monkeypatch, module, name, label):
    monkeypatch.setattr(module, name, lambda *args, **kwargs: True)
    assert integrity.problems() == [f"{label} was replaced or deleted"]
    with pytest.raises(integrity.IntegrityError, match=label.replace(".", r"\.")):
        integrity.verify()


def test_a_rebound_np_name_and_a_swapped_module_are_noticed(monkeypatch):
    assert integrity.problems({"np": object()}) == ["the name np no longer refers to numpy"]
    monkeypatch.setitem(__import__("sys").modules, "numpy.random", object())
    assert "sys.modules['numpy.random'] was replaced" in integrity.problems()


def test_new_attributes_and_state_changes_are_not_tampering(monkeypatch):
    monkeypatch.setattr(np, "my_helper", lambda: 1, raising=False)
    np.random.seed(123)
    with np.errstate(all="ignore"):
        assert integrity.problems({"np": np}) == []


def test_stamped_gradebook_carries_nbgrader_revision(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook, get_alembic_version

    from autograder.course import environment

    monkeypatch.setenv("PATH", environment.child_env()["PATH"])  # get_alembic_version runs `alembic`
    path = tmp_path / "gradebook.db"
    gradebook.create_stamped_sqlite(path)
    assert gradebook.alembic_head() == get_alembic_version()  # what nbgrader would look up itself
    with Gradebook(f"sqlite:///{path}") as book:
        book.add_student("s1")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(get_alembic_version(),)]
        assert db.execute("SELECT id FROM student").fetchall() == [("s1",)]
