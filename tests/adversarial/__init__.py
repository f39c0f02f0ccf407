"""The attack corpus (attacks.toml), read into cases with the outcome the class grader must produce.

``attacks.toml`` says how each submission is made and what grading must give; this module
builds the submissions (``Case.write``) and expands the cell lists.  tests/test_attacks.py
grades them all in one class and checks each CSV row:

* ``status``: the CSV status;
* ``zero``: test cells that must score 0 (no undeserved points), ``"all"`` for every one;
* ``full``: test cells that must keep their full points (deserved points on cells the
  attack did not touch);
* ``detail``: a phrase the CSV detail must contain;
* ``feedback``: a phrase the student's feedback page must contain;
* ``seconds``: the most the submission may take to grade.

``Context`` carries the absolute paths a hostile notebook aims at: the repository, the
grading output, the other students.
"""
import copy
import dataclasses
import os
import pathlib
import tomllib

import nbformat

from autograder.course import layout, synthetic_submissions
from tests.corpus import HERE as CORPUS
from tests.corpus import load_mutants, mutant_answers, style_answers

ATTACKS = pathlib.Path(__file__).with_name("attacks.toml")
NOTEBOOK_FILE = f"{layout.NOTEBOOK}.ipynb"
ALL_TESTS = ["test_linear_visible", "test_linear_gradients", "test_relu_visible", "test_relu_gradients",
             "test_softmax_visible", "test_cross_entropy_visible", "test_softmax_stability",
             "test_cross_entropy_gradients", "test_cross_entropy_confident_wrong", "test_mlp_visible",
             "test_mlp_gradients", "test_sgd_visible", "test_sgd_exact", "test_mnist_accuracy",
             "test_momentum_visible", "test_momentum_exact"]
CANARY = "TASK41-CANARY"


@dataclasses.dataclass
class Context:
    repo: pathlib.Path        # the course repository (source/, the grader)
    out: pathlib.Path         # the grading output (gradebook.db, results/)
    class_dir: pathlib.Path   # everyone's submissions
    canary_dir: pathlib.Path  # a host folder no student code may write into

    def fill(self, value):
        """``value`` with {repo}, {out}, {class_dir}, {canary} and {marker} filled in (lists and tables too)."""
        if isinstance(value, str):
            return value.format(repo=self.repo, out=self.out, class_dir=self.class_dir, canary=self.canary_dir,
                                marker=CANARY)
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value


@dataclasses.dataclass
class Case:
    name: str
    threat: str
    spec: dict                # the attack's table in attacks.toml
    status: str = "graded"
    zero: object = ()
    full: object = ()
    detail: str = ""
    feedback: str = ""
    seconds: float | None = None
    groups: dict = dataclasses.field(default_factory=dict, repr=False)  # the [groups] of attacks.toml

    def write(self, folder, ctx):
        """Create the student's submission folder."""
        folder.mkdir(parents=True)
        for entry in self.spec.get("files", [{"name": NOTEBOOK_FILE}]):
            path = folder / entry["name"]
            if "text" in entry:
                path.write_text(ctx.fill(entry["text"]))
            elif "symlink" in entry:
                os.symlink(ctx.fill(entry["symlink"]), path)
            else:
                answers = answers_for(entry.get("answers", self.spec.get("answers", "reference")))
                if "answers" not in entry:
                    answers = change_answers(answers, self.spec, ctx)
                notebook = synthetic_submissions.build(answers, layout.RELEASE_NOTEBOOK)
                for edit in self.spec.get("edits", []):
                    EDITS[edit["op"]](notebook, ctx.fill(edit), self.groups)
                synthetic_submissions.write(notebook, path)


# ---------------------------------------------------------------- answers

def answers_for(source):
    """The solution cells' answers: "reference", "mutant:<name>" or "style:<file in tests/corpus>"."""
    kind, _, name = source.partition(":")
    if kind == "reference":
        return synthetic_submissions.reference_answers()
    if kind == "mutant":
        return mutant_answers(next(m for m in load_mutants() if m["name"] == name))
    if kind == "style":
        return style_answers(CORPUS / name, partial=True)
    raise ValueError(f"unknown answers {source!r}")


def change_answers(answers, spec, ctx):
    answers = dict(answers)
    for cell, code in spec.get("prepend", {}).items():
        answers[cell] = ctx.fill(code).strip() + "\n\n" + answers[cell]
    for cell, code in spec.get("append", {}).items():
        answers[cell] = answers[cell] + ctx.fill(code)
    for change in spec.get("replace", []):
        changed = answers[change["cell"]].replace(ctx.fill(change["old"]), ctx.fill(change["new"]), 1)
        if changed == answers[change["cell"]]:
            raise ValueError(f"{change['old']!r} is not in the answer of {change['cell']}")
        answers[change["cell"]] = changed
    for cell, text in spec.get("set", {}).items():
        answers[cell] = ctx.fill(text)
    return answers


# ---------------------------------------------------------------- changes to the built notebook

def cell_with_id(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _set_nbgrader(notebook, edit, groups):
    meta = cell_with_id(notebook, edit["cell"]).metadata["nbgrader"]
    meta.update({k: v for k, v in edit.items() if k not in ("op", "cell")})


def _strip_nbgrader(notebook, edit, groups):
    for grade_id in expand(edit["cells"], groups):
        del cell_with_id(notebook, grade_id).metadata["nbgrader"]


def _delete(notebook, edit, groups):
    doomed = set(expand(edit["cells"], groups))
    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in doomed]


def _set_source(notebook, edit, groups):
    for grade_id in expand(edit["cells"], groups):
        cell_with_id(notebook, grade_id).source = edit["source"]


def _insert_decoy(notebook, edit, groups):
    """A new cell with a copy of ``like``'s metadata under ``grade_id``, right after cell ``after``."""
    like = cell_with_id(notebook, edit["like"])
    decoy = nbformat.v4.new_code_cell(edit["source"], metadata=copy.deepcopy(like.metadata))
    decoy.metadata["nbgrader"]["grade_id"] = edit["grade_id"]
    notebook.cells.insert(notebook.cells.index(cell_with_id(notebook, edit["after"])) + 1, decoy)


def _set_kernelspec(notebook, edit, groups):
    notebook.metadata["kernelspec"] = edit["kernelspec"]


EDITS = {"set-nbgrader": _set_nbgrader, "strip-nbgrader": _strip_nbgrader, "delete": _delete,
         "set-source": _set_source, "insert-decoy": _insert_decoy, "set-kernelspec": _set_kernelspec}


# ---------------------------------------------------------------- expectations

def expand(cells, groups):
    """A list of test cells with "@group" and "@mutant:<name>" entries replaced by their cells."""
    out = []
    for cell in cells:
        if cell.startswith("@mutant:"):
            out += next(m for m in load_mutants() if m["name"] == cell[len("@mutant:"):])["must_fail"]
        elif cell.startswith("@"):
            out += groups[cell[1:]]
        else:
            out.append(cell)
    return out


def load_cases():
    with open(ATTACKS, "rb") as f:
        data = tomllib.load(f)
    groups = data["groups"]
    cases = []
    for spec in data["attack"]:
        zero = spec.get("zero", [])
        zero = zero if zero == "all" else expand(zero, groups)
        full = spec.get("full", [])
        free = expand(spec.get("free", []), groups)
        full = ALL_TESTS if full == "all" else [c for c in ALL_TESTS if c not in zero and c not in free] \
            if full == "others" else expand(full, groups)
        cases.append(Case(spec["name"], spec["threat"], spec, status=spec.get("status", "graded"), zero=zero,
                          full=full, detail=spec.get("detail", ""), feedback=spec.get("feedback", ""),
                          seconds=spec.get("seconds"), groups=groups))
    return cases


CASES = load_cases()
