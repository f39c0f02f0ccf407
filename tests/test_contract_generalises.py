"""The hidden tests catch and name mistakes they were not written from (tests/corpus/by_property/).

Fifty wrong answers, written by property of each class's contract as students write them, none taken
from the mutants: every one must be caught, and the first failing hidden test must name at least 9 in
10 with an identifier the file accepts. `benchmarks/diagnosis_generalisation.py` prints the table.
"""
import functools

from autograder.kernel.task4_1 import diagnoses
from tests.corpus import BY_PROPERTY, grade_property_mistake


@functools.cache
def rows():
    return [grade_property_mistake(path, visible=False) for path in BY_PROPERTY]  # the benchmark measures visible


def test_the_corpus_covers_every_class():
    properties = {row["property"].split(".")[0] for row in rows()}
    assert {"linear", "init", "relu", "softmax", "loss", "mlp", "sgd", "momentum", "optimizer"} <= properties
    assert len(rows()) >= 40


def test_every_mistake_is_caught():
    assert [row["name"] for row in rows() if not row["caught"]] == []


def test_nine_in_ten_are_named_by_the_first_failing_hidden_test():
    named = [row for row in rows() if row["named"]]
    missed = {row["name"]: row["given"] for row in rows() if not row["named"]}
    assert len(named) >= 0.9 * len(rows()), f"not named (identifier given): {missed}"


def test_every_accepted_identifier_is_in_the_catalogue():
    unknown = {identifier for row in rows() for identifier in row["accept"]} - set(diagnoses.TITLES)
    assert not unknown
