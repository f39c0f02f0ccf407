"""Automated mutation analysis (tests/mutation/): the hidden tests and the visible checks against every
small change to the lines students write, not only the mistakes someone wrote down.

Grading every mutant takes about 45 s with two workers. The outcomes are committed
(benchmarks/mutation_outcomes.json) under the hash of the solution, the test cells, the checks, the
mutator and the pins; when any of them changes, the next run grades every mutant again and rewrites
the file (and test_release.py's freshness check asks for it to be committed).
"""
import pytest

from tests.mutation import analysis

pytestmark = pytest.mark.kernel  # grades every mutant when the outcomes are stale (about 45 s): make test


@pytest.fixture(scope="module")
def outcomes():
    return analysis.analyse(workers=2)


def test_every_mutant_is_killed_or_decided_equivalent(outcomes):
    decided = {entry["mutant"] for entry in analysis.decisions().get("equivalent", [])}
    survivors = {o.name: o.description for o in outcomes if not o.killed}
    assert not {n: d for n, d in survivors.items() if n not in decided}, \
        "mutants no test kills: strengthen a test of the class's contract, or record them in " \
        "tests/corpus/mutation_decisions.toml with the reason they are equivalent"
    names = {o.name for o in outcomes}
    assert decided <= names, f"decisions about mutants that no longer exist: {sorted(decided - names)}"
    assert decided <= set(survivors), f"recorded as equivalent but killed: {sorted(decided - set(survivors))}"


def test_the_visible_checks_catch_every_mutant_the_hidden_tests_catch(outcomes):
    missed = {o.name: (o.description, o.hidden_failed) for o in outcomes if o.killed and not o.visible_failed}
    assert not missed, "students would meet these mistakes first in their grade: add a visible check"


def test_the_report_is_current(outcomes):
    before = analysis.REPORT.read_text()
    analysis.report(outcomes)
    assert analysis.REPORT.read_text() == before, \
        "benchmarks/mutation_report.md is out of date: run python -m tests.mutation.analysis and commit it"
