"""The hidden checks against a trusted oracle: the reference passes, every corpus entry
gets exactly its expected verdict, and failures name the mistake (in-process, no nbgrader).

Each corpus entry is run once (``verdicts``) and read by every test that needs it.
"""
import functools

import pytest

from autograder.course.synthetic_submissions import reference_answers
from autograder.kernel.task4_1 import diagnoses
from tests import inprocess
from tests.corpus import STYLES, load_mutants, mutant_answers, style_answers

MUTANTS = load_mutants()


@functools.cache
def outcomes(mutant_name):
    """{grade_id: the exception its test cell raised, or None} of one mutant, once per test session."""
    return inprocess.outcomes(mutant_answers(next(m for m in MUTANTS if m["name"] == mutant_name)),
                              include_slow=False, hidden=True)


def verdicts(mutant_name):
    """{grade_id: failure message or None} of one mutant."""
    return {gid: None if exc is None else f"{type(exc).__name__}: {exc}" for gid, exc in outcomes(mutant_name).items()}


def failed(results):
    return sorted(gid for gid, message in results.items() if message)


def test_reference_passes_every_check():
    assert failed(inprocess.run(reference_answers())) == []


@pytest.mark.parametrize("style", STYLES, ids=lambda p: p.stem)
def test_correct_styles_pass_every_check(style):
    assert failed(inprocess.run(style_answers(style))) == []


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m["name"])
def test_mutant_fails_exactly_its_expected_cells(mutant):
    expected = sorted(set(mutant["must_fail"]) - inprocess.SLOW_TESTS)
    assert failed(verdicts(mutant["name"])) == expected


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m["name"])
def test_mutant_carries_exactly_its_expected_diagnoses(mutant):
    # the identifiers the class report counts (autograder/kernel/task4_1/diagnoses.py);
    # test_nbgrader_on_corpus.py checks MNIST's
    expected = {gid: found for gid, found in mutant["diagnosed"].items() if gid not in inprocess.SLOW_TESTS}
    got = {gid: diagnoses.of_exception(exc) for gid, exc in outcomes(mutant["name"]).items() if exc is not None}
    assert {gid: found for gid, found in got.items() if found} == expected


def first_hidden_failure(results):
    hidden = [gid for gid, message in results.items()
              if message and gid not in {"test_linear_visible", "test_relu_visible", "test_softmax_visible",
                                         "test_cross_entropy_visible", "test_mlp_visible",
                                         "test_sgd_visible", "test_momentum_visible"}]
    return results[hidden[0]] if hidden else ""


def test_feedback_names_the_mistake_for_most_mutants(capsys):
    named = [m["name"] for m in MUTANTS
             if m["diagnosis"].lower() in first_hidden_failure(verdicts(m["name"])).lower()]
    share = len(named) / len(MUTANTS)
    with capsys.disabled():
        print(f"\ndiagnosis names the mistake for {len(named)}/{len(MUTANTS)} mutants ({share:.0%})")
    assert share >= 0.9, f"not named: {sorted(set(m['name'] for m in MUTANTS) - set(named))}"


def test_checks_give_identical_verdicts_when_run_again():
    # every check draws from fixed seeds: a mutant that fails several cells, run again, fails them the same way
    # (nbgrader regrading a whole notebook is checked in test_nbgrader_on_corpus.py)
    name = max(MUTANTS, key=lambda m: len(m["must_fail"]))["name"]
    again = inprocess.run(mutant_answers(next(m for m in MUTANTS if m["name"] == name)))
    assert again == verdicts(name)


def test_every_automatic_test_cell_is_failed_by_some_mutant():
    from autograder.course import layout
    from autograder.course.notebook_code import cells_by_grade_id
    cells = cells_by_grade_id(layout.SOURCE_NOTEBOOK)
    automatic = {gid for gid, c in cells.items() if c.metadata["nbgrader"].get("grade")
                 and not c.metadata["nbgrader"].get("solution")}
    covered = {gid for m in MUTANTS for gid in m["must_fail"]}
    assert automatic - covered == set(), "test cells no mutant fails"
