"""The diagnosis identifiers (autograder/kernel/task4_1/diagnoses.py): each one the checks can give is in the
catalogue, each one in the catalogue is given by some check, and each is proved by a submission
that earns it: a corpus mutant (tests/corpus/mutants.toml, `diagnosed`) or one of the few cases
below that are not mistakes (a blank notebook, an answer written for the visible example, a hang).
"""
import ast
import re

import numpy as np
import pytest

from autograder.course import layout, synthetic_submissions
from autograder.course.notebook_code import cells_by_grade_id
from autograder.kernel import harness
from autograder.kernel.task4_1 import checks, diagnoses
from tests import inprocess, test_contract_generalises
from tests.corpus import load_mutants

KERNEL = layout.REPO / "autograder" / "kernel"
GRADER_FILES = tuple(sorted(path for path in KERNEL.rglob("*.py") if path.name != "diagnoses.py"))
CHECKS_SOURCE = "\n".join(path.read_text() for path in GRADER_FILES)


def identifiers_in_checks():
    """Every string the grader's modules give as a diagnosis: fail(..., diagnosis), tag(exc, id), Probe(id, ...),
    a region's (mask, id) and the keys of a table of simulated mistakes."""
    found = set()
    for path in GRADER_FILES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                callee = getattr(node.func, "id", getattr(node.func, "attr", ""))
                positional = {"fail": node.args[2:], "tag": node.args[1:], "Probe": node.args[:1]}.get(callee, [])
                for argument in [*positional, *(k.value for k in node.keywords if k.arg == "diagnosis")]:
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        found.add(argument.value)
            if isinstance(node, ast.Tuple) and len(node.elts) == 2 and isinstance(node.elts[1], ast.Constant) \
                    and isinstance(node.elts[1].value, str) and "." in node.elts[1].value:
                found.add(node.elts[1].value)  # a region: (mask, diagnosis)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) \
                    and any(getattr(t, "id", "").endswith("MISTAKES") for t in node.targets):
                found |= {k.value for k in node.value.keys}  # a table of simulated mistakes
    return {name for name in found if isinstance(name, str) and IDENTIFIER.match(name)}


IDENTIFIER = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)?$")


def test_every_identifier_the_checks_give_is_in_the_catalogue():
    unknown = {name for name in identifiers_in_checks() if isinstance(name, str)} - set(diagnoses.TITLES)
    assert not unknown, f"add these to autograder/kernel/task4_1/diagnoses.py: {sorted(unknown)}"


def test_every_catalogue_entry_is_given_by_the_checks():
    unused = {name for name in diagnoses.TITLES if f'"{name}"' not in CHECKS_SOURCE}
    assert not unused, f"no check gives these; remove them from the catalogue: {sorted(unused)}"


def blank_answers():
    """The release's stubs, as a student who wrote nothing hands them in."""
    release = cells_by_grade_id(layout.RELEASE_NOTEBOOK)
    return {gid: release[gid].source for gid in layout.GRADED_CLASSES.values()}


def hard_coded_answers():
    # count_parameters returns the visible example's number: the visible assert passes, its hidden half does not
    return synthetic_submissions.mutate(synthetic_submissions.reference_answers(), "mlp",
                                        "return sum(layer.W.size + layer.b.size for layer in self.layers)",
                                        "return 235_146")


def test_a_blank_notebook_is_diagnosed_as_not_implemented_everywhere_it_is_named():
    got = inprocess.run_diagnosed(blank_answers())
    named = {found for found in got.values() if found != diagnoses.UNNAMED}
    assert named == {"not-implemented"}
    hidden_only = [gid for gid in got if not gid.endswith("_visible")]
    assert all(got[gid] == "not-implemented" for gid in hidden_only), got


def test_an_answer_written_for_the_visible_example_is_diagnosed_as_such():
    assert inprocess.run_diagnosed(hard_coded_answers()) == {"test_mlp_visible": "hard-coded-example"}


def test_a_hanging_call_is_diagnosed_as_too_slow(monkeypatch):
    monkeypatch.setattr(harness, "CALL_SECONDS", 0.3)

    def hangs(Z):
        while True:
            pass

    with pytest.raises(checks.StudentCodeTimeout) as caught:
        checks.call("ReLU.forward", hangs, np.ones((2, 2)))
    assert diagnoses.of_exception(caught.value) == "too-slow"


def test_every_identifier_is_proved_by_a_submission():
    proved = {found for mutant in load_mutants() for found in mutant["diagnosed"].values()}
    # and by the mistakes written by property, where the identifier given is one the file accepts
    proved |= {row["given"] for row in test_contract_generalises.rows() if row["named"]}
    # proved by the three tests above
    proved |= {"not-implemented", "hard-coded-example", "too-slow"}
    assert set(diagnoses.TITLES) - proved == set(), "identifiers no submission earns"


def test_the_note_is_read_back_from_a_coloured_traceback():
    output = {"output_type": "error", "ename": "AssertionError", "evalue": "dW is wrong",
              "traceback": ["\x1b[31mAssertionError\x1b[39m: dW is wrong",
                            "\x1b[0mdiagnosis: summed-over-batch\x1b[0m"]}
    assert diagnoses.of_error_output(output) == "summed-over-batch"
    assert diagnoses.of_error_output({"traceback": ["diagnosis: no-such-thing"]}) is None
    assert diagnoses.of_error_output({"traceback": ["AssertionError: x"]}) is None


def test_tagging_keeps_the_message_students_read():
    exc = diagnoses.tag(AssertionError("layer.dW is wrong"), "summed-over-batch")
    assert str(exc) == "layer.dW is wrong"
    assert diagnoses.of_exception(exc) == "summed-over-batch"
    assert diagnoses.of_exception(diagnoses.tag(AssertionError("x"), None)) is None
    with pytest.raises(KeyError, match="unknown diagnosis"):
        diagnoses.tag(AssertionError("x"), "not-in-the-catalogue")
