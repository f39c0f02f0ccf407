"""Copy detection (autograder/report/similarity.py): precision and recall, and the cost for a class of 500.

    .venv/bin/python benchmarks/bench_similarity.py [--students 500] [--copies 10] [--seed 0] [--no-settings-sweep]

1. Calibration, on the class of tests/similarity_class.py (independent authors, one mutant of the
   reference, planted copies with a ring of three, stub-only submissions): precision and recall of
   the flagged pairs over the labelled pairs at a sweep of thresholds (the chosen one marked), the
   lowest planted-copy score and the highest score of two different authors. Then, as the
   property test does, rounds that add one copy of every author under a random sequence of
   disguises: how many are flagged, and whether any pair of different authors is. Then the same
   at THRESHOLD for other k-gram sizes and windows.
2. Cost: a class of --students mixed method by method from the authors' disguised variants (two
   students share about one method in eleven, as independent work shares common code), plus
   --copies disguised copies of random students. Fingerprinting (from notebooks in memory, and
   from .ipynb files read with nbformat) and the all-pairs step are timed separately; peak memory
   is the maximum resident set size (resource) of a forked child running one step, over that of
   a child doing nothing.
"""
import argparse
import ast
import contextlib
import itertools
import os
import pathlib
import random
import resource
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import nbformat

from autograder.course import layout, synthetic_submissions
from autograder.report import similarity
from tests import similarity_class as sc

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
SETTINGS = ((6, 4), (8, 4), (8, 6), (10, 4), (10, 6), (10, 8), (12, 6), (15, 6), (20, 6))
VARIANTS_PER_AUTHOR = 6
METHODS = ("__init__", "forward", "backward", "count_parameters", "predict", "step", "__call__")
ROUNDS = (1, 2, 3)  # random-copy rounds, as in tests/test_similarity.py


# ---------------------------------------------------------------- calibration

def labelled(ids, author, excluded):
    positives, negatives = set(), set()
    for a, b in itertools.combinations(sorted(ids), 2):
        pair = frozenset((a, b))
        if pair not in excluded:
            (positives if author[a] == author[b] else negatives).add(pair)
    return positives, negatives


def random_copies(seed):
    """({copy id: notebook}, {copy id: author}): one copy of every author, random disguises in random order."""
    rng, copies, author = random.Random(seed), {}, {}
    for name, answers in sc.independent_authors().items():
        steps = rng.sample(sorted(sc.DISGUISES), rng.randint(1, len(sc.DISGUISES)))
        copy_id = f"random-copy-of-{name}"
        copies[copy_id] = synthetic_submissions.build(sc.disguise(answers, steps, seed=rng.randrange(10**6)))
        author[copy_id] = name
    return copies, author


def all_scores(fingerprints):
    """{pair: score} of every pair sharing at least MIN_SHARED fingerprints."""
    return {frozenset((p.a, p.b)): p.score for p in similarity.compare_class(fingerprints, threshold=0.0).pairs}


def rates(scores, threshold, positives, negatives):
    flagged = {pair for pair, score in scores.items() if score >= threshold}
    true, false = len(flagged & positives), len(flagged & negatives)
    precision = true / (true + false) if true + false else 1.0
    return len(flagged), true, false, len(positives) - true, precision, true / len(positives)


def measure(calibration, notebooks, rounds):
    """(scores on the calibration class, [(copy scores, false flags)] of each random-copy round)."""
    fingerprints = similarity.fingerprint_class(notebooks, layout.RELEASE_NOTEBOOK)
    scores, outcomes = all_scores(fingerprints), []
    for seed in rounds:
        copies, author = random_copies(seed)
        added = similarity.fingerprint_class(copies, layout.RELEASE_NOTEBOOK)
        whole = similarity.ClassFingerprints(fingerprints.release, fingerprints.submissions + added.submissions, {})
        round_scores = all_scores(whole)
        author_of = {**calibration.author, **author}
        copy_scores = [round_scores.get(frozenset((c, a)), 0.0) for c, a in author.items()]
        false = [pair for pair, score in round_scores.items() if score >= similarity.THRESHOLD
                 and len({author_of[s] for s in pair}) == 2 and pair not in calibration.excluded]
        outcomes.append((copy_scores, false))
    return scores, outcomes


def report_calibration(rounds, settings_sweep):
    calibration = sc.calibration_class()
    notebooks = calibration.notebooks()
    positives, negatives = calibration.labelled()
    scores, outcomes = measure(calibration, notebooks, rounds)
    print(f"Calibration class (tests/similarity_class.py): {len(notebooks)} submissions, {len(positives)} positive "
          f"pairs (planted copies), {len(negatives)} negative pairs (different authors, stub-only pairs included); "
          f"the (reference, mutant) pair unlabelled.")
    print(f"K={similarity.K} WINDOW={similarity.WINDOW} MIN_SHARED={similarity.MIN_SHARED} common cut: more than "
          f"{similarity.common_cut(len(notebooks) - 1)} submissions\n")
    print("| threshold | flagged | true | false | missed | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    for threshold in THRESHOLDS:
        flagged, true, false, missed, precision, recall = rates(scores, threshold, positives, negatives)
        mark = " (chosen)" if threshold == similarity.THRESHOLD else ""
        print(f"| {threshold:.1f}{mark} | {flagged} | {true} | {false} | {missed} | {precision:.3f} | {recall:.3f} |")
    lowest = min(positives, key=lambda pair: scores.get(pair, 0.0))
    highest = max(negatives, key=lambda pair: scores.get(pair, 0.0))
    print(f"\nlowest planted-copy score {scores.get(lowest, 0.0):.3f} {sorted(lowest)}")
    print(f"highest score of two different authors {scores.get(highest, 0.0):.3f} {sorted(highest)}")
    copies = [score for copy_scores, _ in outcomes for score in copy_scores]
    false = [pair for _, pairs in outcomes for pair in pairs]
    print(f"random disguise sequences ({len(rounds)} rounds, one copy of each of the "
          f"{len(sc.independent_authors())} authors added per round): "
          f"flagged {sum(s >= similarity.THRESHOLD for s in copies)}"
          f"/{len(copies)}, lowest score {min(copies):.3f}; pairs of different authors flagged: {len(false)}\n")
    if settings_sweep:
        sweep_settings(calibration, notebooks, positives, negatives)


def sweep_settings(calibration, notebooks, positives, negatives):
    print(f"Other k-gram sizes and windows (threshold {similarity.THRESHOLD}; random copies: round 1):\n")
    print("| K | WINDOW | lowest planted copy | lowest random copy | highest independent | precision | recall |")
    print("|---|---|---|---|---|---|---|")
    chosen = similarity.K, similarity.WINDOW
    try:
        for k, window in SETTINGS:
            similarity.K, similarity.WINDOW = k, window
            scores, [(copy_scores, _)] = measure(calibration, notebooks, [1])
            *_, precision, recall = rates(scores, similarity.THRESHOLD, positives, negatives)
            mark = " (chosen)" if (k, window) == chosen else ""
            lowest_planted = min(scores.get(p, 0.0) for p in positives)
            print(f"| {k}{mark} | {window} | {lowest_planted:.3f} | {min(copy_scores):.3f} | "
                  f"{max(scores.get(p, 0.0) for p in negatives):.3f} | {precision:.3f} | {recall:.3f} |")
    finally:
        similarity.K, similarity.WINDOW = chosen
    print()


# ---------------------------------------------------------------- cost

def variant_pool(rng):
    """[answers, ...]: every author as written and in several randomly disguised variants."""
    pool = []
    for answers in sc.independent_authors().values():
        pool.append({gid: source for gid, source in answers.items() if gid in sc.SOLUTION_CODE_CELLS})
        pool += [sc.disguise(answers, rng.sample(sorted(sc.DISGUISES), rng.randint(1, 3)), seed=rng.randrange(10**6))
                 for _ in range(VARIANTS_PER_AUTHOR)]
    return pool


def methods_by_class(answers):
    """{class name: {method name: source text}} from every cell of one variant."""
    found = {}
    for source in answers.values():
        lines = source.splitlines(keepends=True)
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef):
                found[node.name] = {m.name: "".join(lines[sc._start(m) - 1:m.end_lineno]) for m in node.body
                                    if isinstance(m, ast.FunctionDef)}
    return found


def mixed_student(pool, rng):
    """Answers whose every method (and training loop) comes from a random variant of a random author."""
    answers = {"training_loop": rng.choice(pool)["training_loop"]}
    for name, gid in layout.GRADED_CLASSES.items():
        having = [variant[name] for variant in pool if name in variant]  # the slow style has two classes
        methods = [rng.choice(having).get(method) for method in METHODS]
        answers[gid] = f"class {name}:\n" + "\n".join(m for m in methods if m) + "\n"
    return answers


def mixed_class(students, copies, rng):
    """({student id: notebook}, {copy id: original id}): students mixed method by method from the
    authors' variants (so two students share about one method in eleven, as independent work would
    share common code), then ``copies`` disguised copies of random students."""
    pool = [methods_by_class(variant) | {"training_loop": variant["training_loop"]}
            for variant in variant_pool(rng)]
    answers = {f"student-{n:03d}": mixed_student(pool, rng) for n in range(students - copies)}
    planted = {}
    for n, original in enumerate(rng.sample(sorted(answers), copies)):
        steps = rng.sample(sorted(sc.DISGUISES), rng.randint(1, len(sc.DISGUISES)))
        planted[f"copy-{n:02d}-of-{original}"] = original
        answers[f"copy-{n:02d}-of-{original}"] = sc.disguise(answers[original], steps, seed=rng.randrange(10**6))
    return {sid: synthetic_submissions.build(a) for sid, a in answers.items()}, planted


@contextlib.contextmanager
def timed(label, results):
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def peak_rss(work):
    """Maximum resident set size (bytes) of a forked child that runs ``work`` (it inherits this process)."""
    pid = os.fork()
    if pid == 0:
        try:
            work()
        finally:
            os._exit(0)
    _, _, usage = os.wait4(pid, 0)
    return usage.ru_maxrss * 1024  # Linux: KiB


def report_cost(students, copies, seed):
    rng = random.Random(seed)
    start = time.perf_counter()
    notebooks, planted = mixed_class(students, copies, rng)
    print(f"Class of {students}: {students - copies} mixed method by method from {len(sc.independent_authors())} "
          f"authors x {VARIANTS_PER_AUTHOR + 1} variants, plus {copies} disguised copies; built in "
          f"{time.perf_counter() - start:.1f} s\n")
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {sid: synthetic_submissions.write(nb, pathlib.Path(tmp) / sid / "nb.ipynb")
                 for sid, nb in notebooks.items()}
        nbformat.read(str(layout.RELEASE_NOTEBOOK), as_version=4)  # nbformat's one-off import and schema cost
        with timed("fingerprint, from .ipynb files", seconds):
            similarity.fingerprint_class(paths, layout.RELEASE_NOTEBOOK)
    with timed("fingerprint, notebooks in memory", seconds):
        fingerprints = similarity.fingerprint_class(notebooks, layout.RELEASE_NOTEBOOK)
    with timed("all pairs (inverted index), groups, matches", seconds):
        report = similarity.compare_class(fingerprints)
    with tempfile.TemporaryDirectory() as tmp, timed("20 pair pages", seconds):
        for n, pair in enumerate(report.pairs[:20]):
            similarity.write_pair_page(pair, report, pathlib.Path(tmp) / f"pair-{n}.html")
    baseline = peak_rss(lambda: None)
    growth = {"fingerprint, notebooks in memory":
              peak_rss(lambda: similarity.fingerprint_class(notebooks, layout.RELEASE_NOTEBOOK)) - baseline,
              "all pairs (inverted index), groups, matches":
              peak_rss(lambda: similarity.compare_class(fingerprints)) - baseline}
    print("| step | seconds | peak memory added (max RSS of a forked child over one that does nothing) |")
    print("|---|---|---|")
    for label, value in seconds.items():
        print(f"| {label} | {value:.2f} | {f'{growth[label] / 2**20:.1f} MiB' if label in growth else ''} |")
    sizes = sorted(report.fingerprints.values())
    found = {frozenset((copy, original)) for copy, original in planted.items()}
    flagged = {frozenset((p.a, p.b)) for p in report.pairs}
    print(f"\ncompared {report.compared}, skipped {len(report.skipped)}; fingerprints per submission: median "
          f"{sizes[len(sizes) // 2]}, max {sizes[-1]}; common cut: more than {report.common_cut} submissions")
    cut_share = sorted(1 - report.fingerprints[f.student_id] / len(f.spans) for f in fingerprints.submissions)
    print(f"the common-code cut removed {cut_share[len(cut_share) // 2]:.0%} of a submission's fingerprints (median): "
          f"with {len(sc.independent_authors())} authors, every method here is written identically by about a "
          f"tenth of the class, next to the {similarity.COMMON_FRACTION:.0%} cut")
    all_pairs = len(notebooks) * (len(notebooks) - 1) // 2
    print(f"flagged at {similarity.THRESHOLD}: {len(report.pairs)} pairs of {all_pairs}, "
          f"{len(found & flagged)}/{len(found)} planted copies among them; {len(report.groups)} groups of 3 or more. "
          f"The others are mixed students sharing two or three whole methods verbatim, half of what the cut left "
          f"them: an artefact of drawing 500 students from {len(sc.independent_authors())} authors' code.")
    print(f"this process's max resident set: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
          f"(a child that does nothing: {baseline / 2**20:.0f} MiB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--copies", type=int, default=10, help="disguised copies planted in the class")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-settings-sweep", action="store_true")
    args = parser.parse_args()
    report_calibration(ROUNDS, not args.no_settings_sweep)
    report_cost(args.students, args.copies, args.seed)


if __name__ == "__main__":
    main()
