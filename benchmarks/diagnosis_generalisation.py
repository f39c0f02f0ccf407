"""Do the checks catch, show and name conceptual mistakes they were not written from?

Every file of the corpus (default tests/corpus/by_property/) is one wrong answer: whole classes, as a
student writes them, replacing the reference's (classes a file does not define keep the reference's
answer). Its module docstring says what the mistake is and which diagnosis identifiers name it:

    \"\"\"<one sentence: the mistake as a teacher would describe it>

    property: <property id>
    accept: <identifier>, <identifier>, ...
    \"\"\"

Each file is graded in this process (tests/inprocess.py: the notebook's test cells, hidden regions
included, without nbgrader and without the MNIST test) and gets one row:

  caught   some test cell failed;
  visible  some visible check failed (a ``*_visible`` cell with its hidden region cut): what the
           student sees while working;
  named    the diagnosis of the first failing hidden test (notebook order; ``*_visible`` cells are not
           hidden tests, as in tests/test_hidden_checks.py) is one of the file's ``accept`` identifiers;
  given    that diagnosis (``unnamed`` when the failure carries none, ``-`` when no hidden test failed),
           and the test it came from.

Then the totals and the same figures per property.

    .venv/bin/python benchmarks/diagnosis_generalisation.py [--corpus DIR] [--verbose]

``--verbose`` adds the first failing hidden test's message (its first 300 characters). The script
measures; it exits 0 whatever the figures are (2 if a corpus file's docstring is malformed).
"""
import argparse
import collections
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.kernel.task4_1 import diagnoses  # noqa: E402 - after sys.path has the repository
from tests import inprocess  # noqa: E402 - after sys.path has the repository
from tests.corpus import (  # noqa: E402 - after sys.path has the repository
    MalformedCorpusFile,
    grade_property_mistake,
    parse_property_mistake,
)

DEFAULT_CORPUS = REPO / "tests" / "corpus" / "by_property"


def yes(flag):
    return "yes" if flag else "no"


def share(count, total):
    return f"{count}/{total}" + (f" ({count / total:.0%})" if total else "")


def print_table(rows, verbose):
    name_width = max([len("mistake")] + [len(r["name"]) for r in rows])
    prop_width = max([len("property")] + [len(r["property"]) for r in rows])
    header = (f"{'mistake':<{name_width}}  {'property':<{prop_width}}  caught  visible  named  "
              f"{'given':<28} first failing hidden test")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['name']:<{name_width}}  {r['property']:<{prop_width}}  {yes(r['caught']):<6}  "
              f"{yes(r['visible']):<7}  {yes(r['named']):<5}  {r['given']:<28} {r['test']}")
        if verbose:
            print(f"    accept: {', '.join(r['accept'])}")
            if r["failed"]:
                print(f"    failed: {', '.join(r['failed'])}")
            if r["message"]:
                print("    message: " + " ".join(r["message"].split()))


def print_totals(rows):
    n = len(rows)
    print()
    print(f"caught  {share(sum(r['caught'] for r in rows), n)}")
    print(f"named   {share(sum(r['named'] for r in rows), n)}")
    print(f"visible {share(sum(r['visible'] for r in rows), n)}")
    given = collections.Counter(r["given"] if r["given"] != "-" else "(no hidden test failed)"
                                for r in rows if r["caught"])
    print("identifiers given, caught mistakes (first failing hidden test): "
          + ", ".join(f"{identifier} {count}" for identifier, count in given.most_common()))

    print()
    by_property = collections.defaultdict(list)
    for r in rows:
        by_property[r["property"]].append(r)
    width = max(len("property"), *(len(p) for p in by_property))
    print(f"{'property':<{width}}  files  caught  named  visible")
    for prop, group in sorted(by_property.items()):
        k = len(group)
        print(f"{prop:<{width}}  {k:>5}  {sum(r['caught'] for r in group):>3}/{k:<2}  "
              f"{sum(r['named'] for r in group):>2}/{k:<2}  {sum(r['visible'] for r in group):>3}/{k:<2}")

    unknown = sorted({identifier for r in rows for identifier in r["accept"]} - set(diagnoses.TITLES))
    if unknown:
        print()
        print("accepted identifiers the checks cannot give yet (not in autograder/kernel/task4_1/diagnoses.py): "
              f"{', '.join(unknown)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=pathlib.Path, default=DEFAULT_CORPUS,
                        help="folder of corpus files, one mistake each (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true",
                        help="show accepted identifiers, failed tests and the first hidden failure's message")
    args = parser.parse_args()

    files = sorted(args.corpus.glob("*.py"))
    if not files:
        parser.error(f"no .py files in {args.corpus}")
    try:
        for path in files:  # every docstring first: a malformed file stops the run before any grading
            parse_property_mistake(path)
    except MalformedCorpusFile as exc:
        parser.exit(2, f"{parser.prog}: malformed corpus file {exc}\n")

    print(f"corpus: {args.corpus} ({len(files)} mistakes), graded in-process (tests/inprocess.py); "
          f"the MNIST test ({', '.join(sorted(inprocess.SLOW_TESTS))}) is not run here.")
    print()
    rows = [grade_property_mistake(path, args.verbose) for path in files]
    print_table(rows, args.verbose)
    print_totals(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
