"""Adversarial submissions, each with the outcome the class grader must produce.

A case writes one student's folder of an nbgrader ``submitted/`` tree.  Its
expectations are checked against the grade command's CSV row (tests/test_adversarial.py):

* ``status``: the CSV status;
* ``zero``: test cells that must score 0 (no undeserved points), ``"all"`` for every one;
* ``full``: test cells that must keep their full points (deserved points on cells the
  attack did not touch);
* ``detail``: a phrase the CSV detail must contain;
* ``feedback``: a phrase the student's feedback page must contain;
* ``seconds``: the most the submission may take to grade.

Most "faking" cases start from a wrong submission (the dw_summed mutant), so that any
point the attack wins is visibly undeserved.  ``Context`` carries the absolute paths a
hostile notebook aims at: the repository, the grading output, the other students.
"""
import dataclasses
import json
import os
import pathlib
import textwrap

import nbformat

from autograder.course import layout, synthetic_submissions
from tests.corpus import SLOW_STYLE, load_mutants, mutant_answers, style_answers

NOTEBOOK_FILE = f"{layout.NOTEBOOK}.ipynb"
DW_SUMMED = next(m for m in load_mutants() if m["name"] == "dw_summed")
DW_SUMMED_FAILS = DW_SUMMED["must_fail"]
LINEAR_TESTS = ["test_linear_visible", "test_linear_gradients"]
BEFORE_MLP = ["test_linear_visible", "test_linear_gradients", "test_relu_visible", "test_relu_gradients",
              "test_softmax_visible", "test_cross_entropy_visible", "test_softmax_stability",
              "test_cross_entropy_gradients", "test_cross_entropy_confident_wrong"]
FROM_MLP = ["test_mlp_visible", "test_mlp_gradients", "test_sgd_visible", "test_sgd_exact",
            "test_mnist_accuracy", "test_momentum_visible", "test_momentum_exact"]
ALL_TESTS = BEFORE_MLP + FROM_MLP
CANARY = "TASK41-CANARY"


@dataclasses.dataclass
class Context:
    repo: pathlib.Path        # the course repository (source/, the grader)
    out: pathlib.Path         # the grading output (gradebook.db, results/)
    class_dir: pathlib.Path   # everyone's submissions
    canary_dir: pathlib.Path  # a host folder no student code may write into


@dataclasses.dataclass
class Case:
    name: str
    threat: str
    write: object             # write(folder, ctx): create the student's submission folder
    status: str = "graded"
    zero: object = ()
    full: object = ()
    detail: str = ""
    feedback: str = ""
    seconds: float | None = None


CASES = []


def case(threat, **expect):
    def register(write):
        CASES.append(Case(write.__name__.replace("_", "-"), threat, write, **expect))
        return write
    return register


# ---------------------------------------------------------------- helpers

def notebook_from(answers):
    return synthetic_submissions.build(answers, layout.RELEASE_NOTEBOOK)


def save(notebook, folder, name=NOTEBOOK_FILE):
    return synthetic_submissions.write(notebook, folder / name)


def with_code(answers, cell, code):
    """Answers with ``code`` run at the top of solution cell ``cell``."""
    return {**answers, cell: textwrap.dedent(code).strip() + "\n\n" + answers[cell]}


def reference():
    return synthetic_submissions.reference_answers()


def dw_summed():
    return mutant_answers(DW_SUMMED)


def cell_with_id(notebook, grade_id):
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def others_except(cells):
    return [c for c in ALL_TESTS if c not in cells]


# ---------------------------------------------------------------- honest students (must be untouched)

@case("control: a correct submission graded in the same batch", full=ALL_TESTS)
def honest_a(folder, ctx):
    save(notebook_from(reference()), folder)


@case("control: a second correct submission", full=ALL_TESTS)
def honest_b(folder, ctx):
    save(notebook_from(reference()), folder)


# ---------------------------------------------------------------- tampering with the notebook

@case("tampering: test cell points raised to 100 and a solution cell made a graded test",
      zero=DW_SUMMED_FAILS, full=others_except(DW_SUMMED_FAILS))
def tamper_points(folder, ctx):
    notebook = notebook_from(dw_summed())
    cell_with_id(notebook, "test_linear_gradients").metadata["nbgrader"]["points"] = 100
    meta = cell_with_id(notebook, "linear").metadata["nbgrader"]
    meta.update(grade=True, points=50, solution=False, locked=True)
    save(notebook, folder)


@case("tampering: nbgrader metadata stripped from failing test cells",
      zero=DW_SUMMED_FAILS, full=others_except(DW_SUMMED_FAILS), detail="missing from the notebook")
def tamper_metadata_removed(folder, ctx):
    notebook = notebook_from(dw_summed())
    for grade_id in LINEAR_TESTS:
        del cell_with_id(notebook, grade_id).metadata["nbgrader"]
    save(notebook, folder)


@case("tampering: failing test cells deleted", zero=DW_SUMMED_FAILS, full=others_except(DW_SUMMED_FAILS),
      detail="missing from the notebook")
def tamper_tests_deleted(folder, ctx):
    notebook = notebook_from(dw_summed())
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") not in LINEAR_TESTS]
    save(notebook, folder)


@case("tampering: visible and hidden test cells edited to pass",
      zero=DW_SUMMED_FAILS, full=others_except(DW_SUMMED_FAILS))
def tamper_tests_edited(folder, ctx):
    notebook = notebook_from(dw_summed())
    for grade_id in DW_SUMMED_FAILS:
        cell_with_id(notebook, grade_id).source = "print('all tests passed')"
    save(notebook, folder)


@case("tampering: a duplicate of a failing test's grade id, holding a passing cell",
      zero=DW_SUMMED_FAILS, full=others_except(DW_SUMMED_FAILS))
def tamper_duplicate_grade_id(folder, ctx):
    notebook = notebook_from(dw_summed())
    decoy = nbformat.v4.new_code_cell("pass", metadata=json.loads(json.dumps(
        cell_with_id(notebook, "test_linear_visible").metadata)))
    decoy.metadata["nbgrader"]["grade_id"] = "test_linear_gradients"
    index = notebook.cells.index(cell_with_id(notebook, "linear"))
    notebook.cells.insert(index + 1, decoy)
    save(notebook, folder)


@case("tampering: kernelspec pointed at another interpreter", full=ALL_TESTS)
def tamper_kernelspec(folder, ctx):
    notebook = notebook_from(reference())
    notebook.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil", "language": "python",
                                       "argv": ["/bin/sh", "-c", f"touch {ctx.canary_dir}/kernelspec"]}
    save(notebook, folder)


# ---------------------------------------------------------------- faking passes

TAMPERED = dict(status="tampered", zero="all", detail="cannot be trusted")


@case("faking: np.allclose always true", **TAMPERED)
def fake_allclose(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        import numpy as np
        np.allclose = lambda *args, **kwargs: True
    """)), folder)


@case("faking: numpy.testing assertions that never fail", **TAMPERED)
def fake_numpy_testing(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        import numpy as np
        np.testing.assert_allclose = lambda *args, **kwargs: None
        np.testing.assert_array_equal = lambda *args, **kwargs: None
    """)), folder)


@case("faking: numpy's random generators made constant", **TAMPERED)
def fake_numpy_random(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        import numpy as np
        _real_rng = np.random.default_rng
        np.random.default_rng = lambda *args, **kwargs: _real_rng(0)
        np.random.randn = lambda *shape: np.zeros(shape)
    """)), folder)


@case("faking: builtins replaced (abs, round)", **TAMPERED)
def fake_builtins(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        import builtins
        builtins.abs = lambda x: 0
        builtins.round = lambda x, *args: 0
    """)), folder)


@case("faking: builtins replaced so badly that the kernel itself stops answering (max)",
      status="crashed", zero="all", detail="kernel died")
def fake_builtins_breaking_the_kernel(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        import builtins
        builtins.max = lambda *args, **kwargs: 0
    """)), folder)


@case("faking: the name np rebound to an object whose checks always pass", **TAMPERED)
def fake_np_name(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        import numpy
        class _Lenient:
            def __getattr__(self, name):
                return getattr(numpy, name)
            def allclose(self, *args, **kwargs):
                return True
        np = _Lenient()
    """)), folder)


@case("faking: IPython told to swallow every exception", **TAMPERED)
def fake_swallow_exceptions(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
    """)), folder)


@case("faking: the grader's check module patched, then replaced in sys.modules",
      zero=DW_SUMMED_FAILS, full=others_except(DW_SUMMED_FAILS))
def fake_grading_helpers(folder, ctx):
    save(notebook_from(with_code(dw_summed(), "linear", """
        import sys, types
        try:
            import autograder.checks as _checks
            for _name in dir(_checks):
                if _name.startswith("check_"):
                    setattr(_checks, _name, lambda *args, **kwargs: None)
        except ImportError:
            pass
    """)), folder)


@case("faking: outputs hard-coded to the visible test's example; its hidden half uses other inputs",
      zero=DW_SUMMED_FAILS, full=others_except(DW_SUMMED_FAILS))
def fake_hardcoded_outputs(folder, ctx):
    answers = dw_summed()
    answers["linear"] = answers["linear"].replace("        self.dW = X.T @ dZ\n", """        self.dW = X.T @ dZ
        if X.shape == (2, 3) and np.allclose(X, [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]]):
            self.dW = np.array([[0.5, -0.5], [1.0, 0.0], [1.5, 0.5]])
""")
    assert answers["linear"] != dw_summed()["linear"]
    save(notebook_from(answers), folder)


@case("faking: predict reads the MNIST test labels (the grader scores trained weights, not predict)",
      zero=["test_mnist_accuracy"])
def fake_predict_reads_labels(folder, ctx):
    mutant = next(m for m in load_mutants() if m["name"] == "sgd_adds_gradient")
    answers = mutant_answers(mutant)
    answers["mlp"] = answers["mlp"] + textwrap.dedent("""

        def _predict_from_labels(self, X):
            from mnist_loader import load_mnist
            X_train, y_train, X_test, y_test = load_mnist(verbose=False)
            return y_test[:len(X)] if len(X) <= len(y_test) else y_train[:len(X)]

        MLP.predict = _predict_from_labels
    """)
    save(notebook_from(answers), folder)


# ---------------------------------------------------------------- reaching out

READ_AROUND = """
import glob, os
_targets = []
for _pattern in [{repo!r} + "/source/**/*.ipynb", {repo!r} + "/autograder/checks.py", {out!r} + "/**/*",
                 {class_dir!r} + "/**/*.ipynb", "/tmp/**/gradebook.db", "/tmp/**/source/**/*.ipynb",
                 "../../../source/**/*.ipynb", "../../../gradebook.db", "/root/**/*.ipynb"]:
    _targets += glob.glob(_pattern, recursive=True)[:20]
for _path in _targets:
    try:
        with open(_path, errors="replace") as _f:
            print("READ", _path, _f.read(3000))
    except OSError as _exc:
        print("refused", _path, type(_exc).__name__)
"""


@case("reaching out: reading the solution, hidden tests, gradebook and other students' notebooks",
      full=ALL_TESTS)
def reach_read_files(folder, ctx):
    code = READ_AROUND.format(repo=str(ctx.repo), out=str(ctx.out), class_dir=str(ctx.class_dir))
    save(notebook_from(with_code(reference(), "linear", code)), folder)


WRITE_AROUND = """
import glob, os, sqlite3
for _path in [{out!r} + "/gradebook.db", "../../../gradebook.db", *glob.glob("/tmp/**/gradebook.db", recursive=True)]:
    try:
        with sqlite3.connect(_path) as _db:
            _db.execute("UPDATE grade SET auto_score = 1000")
            _db.execute("UPDATE grade_cells SET max_score = 1000")
        print("WROTE", _path)
    except Exception as _exc:
        print("refused", _path, type(_exc).__name__)
for _path in [{canary!r} + "/from-student", {out!r} + "/results/honest-a.json", {repo!r} + "/canary",
              "../../../source/task4_1/pwned.py"]:
    try:
        with open(_path, "w") as _f:
            _f.write({marker!r})
        print("WROTE", _path)
    except OSError as _exc:
        print("refused", _path, type(_exc).__name__)
"""


@case("reaching out: writing grades into gradebooks, results and the course", full=ALL_TESTS)
def reach_write_grades(folder, ctx):
    code = WRITE_AROUND.format(out=str(ctx.out), repo=str(ctx.repo), canary=str(ctx.canary_dir), marker=CANARY)
    save(notebook_from(with_code(reference(), "linear", code)), folder)


@case("reaching out: background processes meant to outlive grading", full=ALL_TESTS)
def reach_background_processes(folder, ctx):
    save(notebook_from(with_code(reference(), "linear", f"""
        import os, subprocess, sys
        subprocess.Popen(["sleep", "3600"], start_new_session=True)
        if os.fork() == 0:  # a daemon: new session, parent gone, writes later
            os.setsid()
            if os.fork() == 0:
                import time
                time.sleep(20)
                open({str(ctx.canary_dir)!r} + "/from-daemon", "w").write("late")
            os._exit(0)
    """)), folder)


# ---------------------------------------------------------------- breaking down

@case("breaking: infinite loop in one class (per-cell timeout); other cells keep their points",
      zero=["test_relu_visible", "test_relu_gradients", "test_mlp_visible", "test_mlp_gradients",
            "test_mnist_accuracy"],
      full=["test_linear_visible", "test_linear_gradients", "test_softmax_visible", "test_cross_entropy_visible",
            "test_sgd_visible", "test_momentum_visible"], detail="time")
def break_infinite_loop(folder, ctx):
    save(notebook_from(with_code(reference(), "relu", "while True:\n    pass")), folder)


HUNG_FORWARD = ["test_relu_visible", "test_relu_gradients", "test_mlp_visible", "test_mlp_gradients",
                "test_mnist_accuracy"]
NOT_USING_RELU = ["test_linear_visible", "test_linear_gradients", "test_softmax_visible", "test_cross_entropy_visible",
                  "test_softmax_stability", "test_cross_entropy_gradients", "test_cross_entropy_confident_wrong",
                  "test_sgd_visible", "test_sgd_exact", "test_momentum_visible", "test_momentum_exact"]


def hung_relu_forward(loop):
    return {**reference(), "relu": reference()["relu"].replace(
        "def forward(self, Z):", "def forward(self, Z):\n" + textwrap.indent(textwrap.dedent(loop).strip(), " " * 8), 1)}


@case("breaking: one method never returns (ReLU.forward loops): graded in seconds, every cell not using it "
      "keeps its points, feedback names the method", zero=HUNG_FORWARD, full=NOT_USING_RELU,
      detail="ReLU.forward", feedback="`ReLU.forward` did not return within", seconds=120)
def break_hung_method(folder, ctx):
    save(notebook_from(hung_relu_forward("while True:\n    pass")), folder)


@case("breaking: a method that never returns and swallows interrupts (a bare except in its loop)",
      status="crashed", zero=HUNG_FORWARD, full=NOT_USING_RELU[:2], detail="test_relu_visible", seconds=120)
def break_hung_method_ignoring_interrupts(folder, ctx):
    save(notebook_from(hung_relu_forward("""
        import time
        while True:
            try:
                time.sleep(0.05)
            except BaseException:
                pass
    """)), folder)


@case("control: correct but slow, looping over each batch's samples in Python (~15x the reference); full marks",
      full=ALL_TESTS)
def slow_but_correct(folder, ctx):
    save(notebook_from(style_answers(SLOW_STYLE, partial=True)), folder)


@case("control: nbgrader's marker text in the student's own cells (comments, strings, the written answer)",
      full=ALL_TESTS, feedback="Linear: gradient checks passed")
def markers_in_student_cells(folder, ctx):
    markers = ("# ### BEGIN HIDDEN TESTS\n# ### BEGIN HIDDEN TESTS\nNOTE = '### END HIDDEN TESTS'\n"
               "# ### BEGIN SOLUTION\n# ### END SOLUTION\n")
    answers = {**reference(), "linear": markers + reference()["linear"]}
    answers["exercise_answer"] = "### BEGIN HIDDEN TESTS\nMy answer.\n### BEGIN SOLUTION"
    save(notebook_from(answers), folder)


@case("breaking: memory bomb (memory cap)", zero=["test_relu_visible", "test_relu_gradients"],
      full=["test_linear_visible", "test_linear_gradients", "test_softmax_visible"])
def break_memory_bomb(folder, ctx):
    save(notebook_from(with_code(reference(), "relu", """
        _hog = []
        while True:
            _hog.append(bytearray(200 * 2**20))
    """)), folder)


# The flood's own sleeping children keep every process slot until grading ends, so the next
# cell may fail to start a thread: that one cell is the student's loss, nothing else is.
@case("breaking: process flood, bounded by the process limit", full=others_except(["test_linear_visible"]))
def break_process_flood(folder, ctx):
    save(notebook_from(with_code(reference(), "linear", """
        import os, time
        _children = 0
        try:
            for _ in range(5000):
                if os.fork() == 0:
                    time.sleep(600)
                    os._exit(0)
                _children += 1
        except OSError as _exc:
            print("fork refused after", _children, "children:", type(_exc).__name__)
    """)), folder)


@case("breaking: output flood (many lines, one huge line)", full=ALL_TESTS)
def break_output_flood(folder, ctx):
    save(notebook_from(with_code(reference(), "linear", """
        import sys
        for _i in range(200_000):
            print("flood", _i)
        print("x" * 20_000_000)
        sys.stderr.write("e" * 5_000_000)
    """)), folder)


CRASHED = dict(status="crashed", zero=FROM_MLP, full=BEFORE_MLP, detail="kernel died")


@case("breaking: os._exit in a later cell; earlier points stay", **CRASHED)
def break_os_exit(folder, ctx):
    save(notebook_from(with_code(reference(), "mlp", "import os\nos._exit(3)")), folder)


# IPython's exit() stops the kernel's event loop 0.1 s later, so whether one or two quick cells after it
# still run depends on the machine's load; the long MNIST cell and everything after it never do.
@case("breaking: exit() shuts the kernel down shortly after its cell; earlier points stay", status="crashed",
      zero=FROM_MLP[4:], full=BEFORE_MLP, detail="kernel died")
def break_exit_builtin(folder, ctx):
    save(notebook_from(with_code(reference(), "mlp", "exit()")), folder)


@case("breaking: a segmentation fault; earlier points stay", **CRASHED)
def break_segfault(folder, ctx):
    save(notebook_from(with_code(reference(), "mlp", "import ctypes\nctypes.string_at(0)")), folder)


@case("breaking: sys.exit in a cell is an error in that cell only",
      zero=["test_mlp_visible", "test_mlp_gradients", "test_mnist_accuracy"], full=BEFORE_MLP + ["test_sgd_visible"])
def break_sys_exit(folder, ctx):
    save(notebook_from(with_code(reference(), "mlp", "import sys\nsys.exit(1)")), folder)


# ---------------------------------------------------------------- broken files

@case("files: not JSON at all", status="corrupt-notebook", zero="all")
def file_corrupt_json(folder, ctx):
    folder.mkdir(parents=True)
    (folder / NOTEBOOK_FILE).write_text('{"cells": [ this is not json')


@case("files: the notebook renamed (graded, with a note)", full=ALL_TESTS, detail="renamed")
def file_renamed(folder, ctx):
    save(notebook_from(reference()), folder, "my_final_version (1).ipynb")


@case("files: two notebooks, neither with the expected name", status="ambiguous-notebooks", zero="all")
def file_two_notebooks(folder, ctx):
    save(notebook_from(reference()), folder, "attempt1.ipynb")
    save(notebook_from(dw_summed()), folder, "attempt2.ipynb")


@case("files: the notebook is a symlink to a file outside the submission", status="unsafe-path", zero="all")
def file_symlink_out(folder, ctx):
    folder.mkdir(parents=True)
    os.symlink(ctx.repo / "source" / layout.ASSIGNMENT / NOTEBOOK_FILE, folder / NOTEBOOK_FILE)
