"""Grade every mutant against the hidden tests and the visible checks, in-process, two at a time.

``python -m tests.mutation.analysis`` prints the figures and writes benchmarks/mutation_report.md.
Each mutant runs in a worker process under a time limit (a mutated loop can hang). The MNIST test
is left out (it trains for a second or two per mutant); mutants it alone would catch are listed.
"""
import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import os
import pathlib
import signal
import sys

from autograder.course import layout, synthetic_submissions
from tests.mutation import mutator

SECONDS_PER_MUTANT = 20
# The outcomes, committed beside the report and keyed by the hash of everything they depend on: a
# change to any of it makes the next run grade every mutant again (about 45 s) and rewrite the file.
CACHE = layout.REPO / "benchmarks" / "mutation_outcomes.json"


@dataclasses.dataclass
class Outcome:
    name: str
    cell: str
    operator: str
    line: int
    description: str
    hidden_failed: list      # test cells that fail with hidden tests included
    visible_failed: list     # visible checks that fail (what students run)
    messages: dict           # test cell -> its failure message (the diagnosis a student would read)

    @property
    def killed(self):
        return bool(self.hidden_failed)

    @property
    def named(self):
        """The first failing test's message names the mistake (an assertion of ours, not a raw exception)."""
        return any(m.startswith("AssertionError: ") and len(m) > 30 for m in self.messages.values())


def all_mutants():
    """Every mutant of the lines students write (signatures, docstrings and given code are not theirs)."""
    answers = reference_answers()
    return [m for cell in layout.GRADED_CLASSES.values()
            for lines in [student_lines(cell)] for m in mutator.mutants(cell, answers[cell]) if m.line in lines]


@functools.cache
def reference_answers():
    """The solution's answers, read once per process (every mutant starts from them)."""
    return synthetic_submissions.reference_answers()


def student_lines(cell):
    """Line numbers (of the cell without its markers) that students write: inside BEGIN/END SOLUTION.

    The rest of a class cell (signatures, docstrings, ``__call__``, given constructors) comes with
    the assignment; a mutant there is a change to the assignment, not a mistake a student can make
    in their part, so it is counted apart.
    """
    from autograder.course.notebook_code import SOLUTION_MARKERS, cells_by_grade_id

    lines, inside, number = set(), False, 0
    for line in cells_by_grade_id(layout.SOURCE_NOTEBOOK)[cell].source.split("\n"):
        marker = SOLUTION_MARKERS.match(line + "\n")
        if marker:
            inside = marker.group(1) == "BEGIN"
            continue
        number += 1
        if inside:
            lines.add(number)
    return lines


class _Hung(Exception):
    pass


def _alarm(*_):
    raise _Hung()


def grade(mutant):
    """The Outcome of one mutant (run in a worker process)."""
    from tests import inprocess

    answers = {**reference_answers(), mutant.cell: mutant.source}
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(SECONDS_PER_MUTANT)
    try:
        hidden = inprocess.run(answers)
        visible = inprocess.run_visible(answers)
    except _Hung:
        hidden = visible = {"(all)": f"hung for {SECONDS_PER_MUTANT} s"}
    finally:
        signal.alarm(0)
    return Outcome(mutant.name, mutant.cell, mutant.operator, mutant.line, mutant.description,
                   sorted(k for k, v in hidden.items() if v), sorted(k for k, v in visible.items() if v),
                   {k: v for k, v in hidden.items() if v})


def fingerprint():
    """What the outcomes depend on: the solution, the test cells, the hidden checks, the mutator."""
    digest = hashlib.sha256()
    grader = sorted((layout.REPO / "autograder" / "kernel").rglob("*.py"))
    for path in (layout.SOURCE_NOTEBOOK, *grader, layout.SOURCE_DIR / "gradcheck.py",
                 pathlib.Path(mutator.__file__), pathlib.Path(__file__), layout.REPO / "tests" / "inprocess.py",
                 layout.REPO / "requirements.txt"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def analyse(workers=2, use_cache=True):
    """[Outcome] of every mutant, from the cache when nothing it depends on changed."""
    key = fingerprint()
    if use_cache and CACHE.is_file():
        cached = json.loads(CACHE.read_text())
        if cached.get("key") == key:
            return [Outcome(**o) for o in cached["outcomes"]]
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        outcomes = list(pool.map(grade, all_mutants(), chunksize=4))
    rows = ",\n".join(json.dumps(dataclasses.asdict(o), sort_keys=True) for o in outcomes)
    CACHE.write_text(f'{{"key": "{key}", "outcomes": [\n{rows}\n]}}\n')
    return outcomes


def cached_key():
    try:
        return json.loads(CACHE.read_text()).get("key")
    except FileNotFoundError:
        return None


DECISIONS = layout.REPO / "tests" / "corpus" / "mutation_decisions.toml"
REPORT = layout.REPO / "benchmarks" / "mutation_report.md"


def decisions():
    import tomllib

    return tomllib.loads(DECISIONS.read_text())


def figures(outcomes):
    killed = [o for o in outcomes if o.killed]
    return {"generated": len(outcomes), "killed": len(killed), "named": sum(o.named for o in killed),
            "by_visible": sum(bool(o.visible_failed) for o in killed),
            "equivalent": len(decisions().get("equivalent", [])),
            "survived": len(outcomes) - len(killed)}


def report(outcomes):
    """benchmarks/mutation_report.md: the figures, the equivalent mutants and why, the unnamed ones."""
    f = figures(outcomes)
    decided = decisions()
    decidable = f["generated"] - f["equivalent"]
    lines = ["# Mutation analysis of the graded classes", "",
             "Written by `python -m tests.mutation.analysis`; `tests/test_mutation_analysis.py` (in `make test`) "
             "enforces it. Every line students write in the seven graded classes is mutated "
             "(tests/mutation/mutator.py lists the operators); each mutant runs against the hidden tests and, "
             "separately, the visible checks, in-process (the MNIST test left out).", "",
             "| figure | count |", "|---|---|",
             f"| mutants generated | {f['generated']} |",
             f"| killed by the hidden tests | {f['killed']} ({100 * f['killed'] / decidable:.0f}% of the "
             f"{decidable} that are not equivalent) |",
             f"| killed by the visible checks too | {f['by_visible']} of {f['killed']} |",
             f"| named (an assertion says what is wrong) | {f['named']} of {f['killed']} |",
             f"| equivalent (decided below) | {f['equivalent']} |", "",
             "## Equivalent mutants", "", "| mutant | change | why no test can or should tell |", "|---|---|---|"]
    by_name = {o.name: o for o in outcomes}
    for entry in decided.get("equivalent", []):
        lines.append(f"| `{entry['mutant']}` | `{by_name[entry['mutant']].description}` | {entry['reason']} |")
    lines += ["", "## Killed but not named", "",
              "The first failure is Python's own error from the student's code (the line is in the traceback).", "",
              "| mutant | change | what the student reads |", "|---|---|---|"]
    for o in outcomes:
        if o.killed and not o.named:
            first = min(o.messages.items())[1].splitlines()[0][:90].replace("|", "\\|")  # same fresh or cached
            lines.append(f"| `{o.name}` | `{o.description}` | {first} |")
    REPORT.write_text("\n".join(lines) + "\n")
    return f


if __name__ == "__main__":
    results = analyse(workers=int(os.environ.get("WORKERS", "2")), use_cache="--fresh" not in sys.argv)
    numbers = report(results)
    print(f"{numbers['generated']} mutants: {numbers['killed']} killed by the hidden tests (MNIST left out), "
          f"{numbers['by_visible']} of them by the visible checks too, {numbers['named']} named; "
          f"{numbers['equivalent']} equivalent; report: {REPORT.relative_to(layout.REPO)}")
    for o in results:
        if not o.killed:
            print(f"  survived: {o.name}  {o.description}")
