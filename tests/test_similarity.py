"""Copy detection (autograder/report/similarity.py) calibrated on the class of tests/similarity_class.py.

No kernel: notebooks are built in memory. The class holds independent authors (the reference, the
correct styles of tests/corpus/styles/ and slow/, and the five of tests/corpus/styles_similarity/),
ONE mutant of the reference, planted disguised copies (a ring of three among them) and two
stub-only submissions. A mutant is a single edit of the reference, so the reference and its
mutant are one author family: their pair is in no label (neither an independent pair nor a
planted copy). Positives: each planted copy with its original, and the ring's three pairs.
Negatives: every other pair of different authors, stub-only pairs included.
"""
import ast
import copy
import csv
import itertools
import random

import nbformat
import numpy as np
import pytest

from autograder.course import layout, synthetic_submissions
from autograder.course.notebook_code import grade_id
from autograder.kernel.task4_1 import checks
from autograder.report import similarity
from tests import similarity_class as sc


@pytest.fixture(scope="module")
def release():
    return nbformat.read(str(layout.RELEASE_NOTEBOOK), as_version=4)


@pytest.fixture(scope="module")
def calibration():
    return sc.calibration_class()


@pytest.fixture(scope="module")
def notebooks(calibration):
    return calibration.notebooks()


@pytest.fixture(scope="module")
def fingerprints(notebooks, release):
    """The class fingerprinted once (find_similar's first step); each test compares what it needs."""
    return similarity.fingerprint_class(notebooks, release)


@pytest.fixture(scope="module")
def report(fingerprints):
    return similarity.compare_class(fingerprints)


@pytest.fixture(scope="module")
def everything(fingerprints):
    """Every pair sharing at least MIN_SHARED fingerprints, whatever its score (threshold 0)."""
    return similarity.compare_class(fingerprints, threshold=0.0)


@pytest.fixture(scope="module")
def all_scores(everything):
    return {frozenset((p.a, p.b)): p.score for p in everything.pairs}


def test_find_similar_is_its_two_steps(notebooks, release, report):
    assert similarity.find_similar(notebooks, release) == report


def flagged(report):
    return {frozenset((pair.a, pair.b)) for pair in report.pairs}


def precision_recall(flagged_pairs, positives, negatives):
    true, false = len(flagged_pairs & positives), len(flagged_pairs & negatives)
    return (true / (true + false) if true + false else 1.0), true / len(positives)


# ---------------------------------------------------------------- calibration

def test_every_planted_copy_and_no_independent_pair_is_flagged(report, calibration):
    positives, negatives = calibration.labelled()
    precision, recall = precision_recall(flagged(report), positives, negatives)
    missed = sorted(map(sorted, positives - flagged(report)))
    wrong = sorted(map(sorted, flagged(report) & negatives))
    assert (precision, recall) == (1.0, 1.0), f"missed {missed}; flagged independent pairs {wrong}"
    assert len(positives) == 10 and len(negatives) > 200


def test_the_threshold_sits_in_a_wide_gap(all_scores, calibration):
    """Not tuned to a hair: planted copies score far above the threshold, independent authors far below."""
    positives, negatives = calibration.labelled()
    lowest_copy = min(all_scores.get(pair, 0.0) for pair in positives)
    highest_independent = max(all_scores.get(pair, 0.0) for pair in negatives)
    assert lowest_copy >= similarity.THRESHOLD + 0.2, lowest_copy
    assert highest_independent <= similarity.THRESHOLD - 0.1, highest_independent


def test_groups_are_found_exactly(report, calibration):
    assert report.groups == calibration.expected_groups


def test_the_reference_and_its_mutant_are_one_author(report):
    assert frozenset(("reference", f"mutant-{sc.MUTANT}")) in flagged(report)


def test_counts_and_skips(report, calibration):
    assert report.skipped == {sc.BLANK: "no code written (only the release's stubs)"}
    assert report.compared == len(calibration.answers) - 1
    assert report.threshold == similarity.THRESHOLD
    assert [p.score for p in report.pairs] == sorted((p.score for p in report.pairs), reverse=True)


# ---------------------------------------------------------------- stubs and common code

def test_the_stubs_alone_give_no_fingerprints(release):
    """Not the blank notebook, nor one whose stubs were renamed, reformatted, reordered and recommented."""
    stubs = {gid: cell.source for gid, cell in synthetic_submissions.cells_by_grade_id(layout.RELEASE_NOTEBOOK).items()
             if gid in sc.SOLUTION_CODE_CELLS}
    disguised = sc.disguise(stubs, ["rename", "reorder", "comments", "reformat", "reformat_canonical"], seed=3)
    assert disguised != stubs
    submissions = {"blank": release, "disguised": synthetic_submissions.build(disguised)}
    result = similarity.fingerprint_class(submissions, release)
    assert result.submissions == []
    assert set(result.skipped) == {"blank", "disguised"}
    assert all(reason.startswith("no code written") for reason in result.skipped.values())


def test_a_partly_done_submission_is_compared_but_never_flagged(all_scores, report):
    assert sc.PARTIAL in report.code and set(report.code[sc.PARTIAL]) == {"relu", "training_loop"}
    assert report.fingerprints[sc.PARTIAL] < similarity.MIN_SHARED
    assert not any(sc.PARTIAL in pair for pair in all_scores)


def test_the_training_loop_everyone_writes_is_common_code(everything):
    """The four lines of the training loop are in most submissions: no match may rest on them."""
    assert not any(m.a.cell == "training_loop" or m.b.cell == "training_loop"
                   for pair in everything.pairs for m in pair.matches)


def test_a_tiny_identical_submission_is_not_flagged(release):
    """Below MIN_SHARED shared fingerprints nothing is flagged, even a perfect copy."""
    tiny = synthetic_submissions.build({"relu": sc.PARTIAL_RELU})
    result = similarity.find_similar({"x": tiny, "y": tiny}, release, threshold=0.0)
    assert result.compared == 2 and result.pairs == []


def test_broken_code_is_still_compared(release):
    """Code that does not parse (a stray bracket, an unclosed string, IPython magics) is tokenized piecewise."""
    answers = sc.independent_authors()["style-cached_dict_outer"]
    broken_mlp = answers["mlp"].replace("def predict(self, X):", "def predict(self, X:")
    broken = {**answers, "mlp": "%timeit 1\n" + broken_mlp + '\n    oops = """never closed\n',
              "sgd": answers["sgd"] + "\n  bad_indent = (1,\n"}
    result = similarity.find_similar({"one": synthetic_submissions.build(broken),
                                      "two": synthetic_submissions.build(sc.disguise(answers, ["comments"], seed=1))},
                                     release)
    assert {"mlp", "sgd"} <= set(result.code["one"])
    assert len(result.pairs) == 1 and result.pairs[0].score > 0.8


# ---------------------------------------------------------------- the disguises

@pytest.mark.parametrize("step", sorted(sc.DISGUISES))
def test_each_disguise_changes_the_text_and_keeps_valid_code(step):
    for author, answers in sc.independent_authors().items():
        code = {gid: source for gid, source in answers.items() if gid in sc.SOLUTION_CODE_CELLS}
        disguised = sc.disguise(answers, [step], seed=11)
        assert disguised != code, f"{step} left {author} unchanged"
        for source in disguised.values():
            ast.parse(source)
        if step == "reformat":  # redundant parentheses and line breaks: the same AST
            assert all(ast.dump(ast.parse(disguised[g])) == ast.dump(ast.parse(code[g])) for g in code)


def _classes(answers):
    namespace = {"np": np}
    for gid in sc.CLASS_CELLS:
        if gid in answers:
            exec(compile(answers[gid], f"<{gid}>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("author", ["reference", "style-matmul_long_names", "style-logsumexp_sequence",
                                    "style-cached_dict_outer"])
def test_a_fully_disguised_copy_still_passes_the_checks(author):
    """The disguises are real edits a copier could hand in: the copy still gets full marks."""
    copy = _classes(sc.disguise(sc.independent_authors()[author], list(sc.DISGUISES), seed=5))
    checks.check_mlp_gradients(copy["MLP"])
    checks.check_cross_entropy_gradients(copy["Softmax"], copy["CrossEntropyLoss"])
    checks.check_sgd_step(copy["SGD"])
    checks.check_momentum_steps(copy["SGDMomentum"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_combinations_of_disguises_on_any_author_are_flagged(seed, fingerprints, release, calibration):
    """Property-style: each author gets a copy with a random non-empty sequence of disguises."""
    rng = random.Random(seed)
    copies, original = {}, {}
    for author, answers in sc.independent_authors().items():
        steps = rng.sample(sorted(sc.DISGUISES), rng.randint(1, len(sc.DISGUISES)))
        copy_id = f"random-copy-of-{author}"
        copies[copy_id] = synthetic_submissions.build(sc.disguise(answers, steps, seed=rng.randrange(10**6)))
        original[copy_id] = author
    added = similarity.fingerprint_class(copies, release)
    whole_class = similarity.ClassFingerprints(fingerprints.release, fingerprints.submissions + added.submissions, {})
    got = flagged(similarity.compare_class(whole_class))
    author_of = {**calibration.author, **original}
    for copy_id, author in original.items():
        assert frozenset((copy_id, author)) in got, f"{copy_id} not flagged"
    wrong = [sorted(pair) for pair in got if len({author_of[s] for s in pair}) == 2 and pair not in calibration.excluded
             and {author_of[s] for s in pair} != {"reference"}]
    assert not wrong, wrong


# ---------------------------------------------------------------- the report's API

def test_the_score_is_symmetric(notebooks, release):
    one, other = notebooks["style-logsumexp_sequence"], notebooks["ring-2"]
    forward = similarity.find_similar({"x": one, "y": other}, release).pairs
    backward = similarity.find_similar({"x": other, "y": one}, release).pairs
    assert len(forward) == len(backward) == 1
    assert (forward[0].score, forward[0].shared) == (backward[0].score, backward[0].shared)


def test_pairs_name_the_smaller_id_first(everything):
    assert everything.pairs and all(str(p.a) < str(p.b) for p in everything.pairs)


def test_matches_point_at_the_same_code_on_both_sides(report):
    pair = next(p for p in report.pairs if {p.a, p.b} == {"copy-reordered", "style-np_dot_where"})
    assert pair.matches and sum(m.fingerprints for m in pair.matches) >= pair.shared
    code_a, code_b = report.code[pair.a], report.code[pair.b]
    for match in pair.matches:
        text_a = code_a[match.a.cell][match.a.start:match.a.end]
        text_b = code_b[match.b.cell][match.b.start:match.b.end]
        assert text_a.split() and text_b.split()
    # the copy moved Softmax into the cross_entropy cell: matches cross cells
    assert any(m.a.cell != m.b.cell for m in pair.matches)


def test_student_metadata_cannot_hide_or_add_cells(release, notebooks):
    """Cells are picked by the release's grade_ids, not by the student's solution flags."""
    notebook = copy.deepcopy(notebooks["style-normal_and_masks"])
    for cell in notebook.cells:
        if grade_id(cell) == "linear":
            cell.metadata["nbgrader"]["solution"] = False  # still compared
        elif grade_id(cell) == "test_relu_visible":
            cell.source = sc.independent_authors()["style-np_dot_where"]["relu"]  # a test cell: ignored
    notebook.cells.append(nbformat.v4.new_code_cell(
        sc.independent_authors()["style-np_dot_where"]["mlp"],
        metadata={"nbgrader": {"grade_id": "extra", "solution": True}}))  # not a release cell: ignored
    result = similarity.find_similar({"tampered": notebook, "other": notebooks["style-np_dot_where"]}, release, 0.0)
    assert "linear" in result.code["tampered"]
    assert not {"test_relu_visible", "extra"} & set(result.code["tampered"])
    assert result.pairs == [] or result.pairs[0].score < 0.2


def test_paths_and_unreadable_notebooks(tmp_path, notebooks):
    paths = {}
    for student in ("reference", "copy-renamed", "style-float32_throughout"):
        paths[student] = synthetic_submissions.write(notebooks[student], tmp_path / student / "nb.ipynb")
    (tmp_path / "broken.ipynb").write_text('{"cells": [ not json')
    paths["broken"] = tmp_path / "broken.ipynb"
    paths["missing"] = tmp_path / "nowhere.ipynb"
    result = similarity.find_similar(paths, layout.RELEASE_NOTEBOOK)
    assert result.compared == 3
    assert set(result.skipped) == {"broken", "missing"}
    assert all(reason.startswith("unreadable notebook") for reason in result.skipped.values())
    assert [(p.a, p.b) for p in result.pairs] == [("copy-renamed", "style-float32_throughout")]


def test_csv_lists_flagged_pairs_with_their_group(report, tmp_path):
    path = similarity.write_csv(report, tmp_path / "similarity.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["a", "b", "score", "shared_fingerprints", "group"]
    assert len(rows) - 1 == len(report.pairs)
    by_pair = {frozenset(row[:2]): row for row in rows[1:]}
    for a, b in itertools.combinations(sc.RING, 2):
        assert by_pair[frozenset((a, b))][4] == "1"
    assert by_pair[frozenset(("reference", f"mutant-{sc.MUTANT}"))][4] == ""
    assert all(0.0 <= float(row[2]) <= 1.0 and int(row[3]) >= similarity.MIN_SHARED for row in rows[1:])


def test_pair_page_escapes_hostile_code_and_ids(release, tmp_path):
    hostile = dict(sc.independent_authors()["style-functional_reduce"])
    hostile["relu"] = hostile["relu"].replace(
        "class ReLU:", 'class ReLU:\n    NOTE = "</script><script>alert(1)</script>"  # <b>bold</b> & co\n')
    evil_id = '<img src=x onerror="alert(1)">'
    copy = sc.disguise(hostile, ["rename"], seed=2)
    result = similarity.find_similar({evil_id: synthetic_submissions.build(hostile),
                                      "b&b": synthetic_submissions.build(copy)}, release)
    assert len(result.pairs) == 1
    page = similarity.write_pair_page(result.pairs[0], result, tmp_path / "pair.html").read_text(encoding="utf-8")
    assert "</script>" not in page and "<script>" not in page and "<b>bold" not in page and "<img" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page and "b&amp;b" in page
    assert "What this cannot see" in page and f"{result.pairs[0].score:.2f}" in page
    for index, _ in enumerate(result.pairs[0].matches):  # each match is marked on both sides
        assert page.count(f'title="match {index + 1}"') >= 2
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically: no temporary file left
