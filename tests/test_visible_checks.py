"""What students can see before they submit: every mistake of the corpus fails a visible check, and
the gradient checker they are given agrees with the grader's hidden gradient checks.  No kernel."""
import contextlib
import io
import sys

import numpy as np
import pytest

from autograder.course import layout, synthetic_submissions
from autograder.kernel.task4_1 import checks
from tests import inprocess
from tests.corpus import SLOW_STYLE, STYLES, load_mutants, mutant_answers, style_answers

sys.path.insert(0, str(layout.SOURCE_DIR))
import gradcheck

MUTANTS = load_mutants()


def visible_failures(answers):
    with contextlib.redirect_stdout(io.StringIO()):
        return sorted(gid for gid, failure in inprocess.run_visible(answers).items() if failure)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m["name"] for m in MUTANTS])
def test_every_mistake_fails_a_visible_check(mutant):
    assert mutant["visible_fail"], f"{mutant['name']}: no visible check catches it"
    assert visible_failures(mutant_answers(mutant)) == sorted(mutant["visible_fail"])


@pytest.mark.parametrize("answers", [*(style_answers(s) for s in STYLES), style_answers(SLOW_STYLE, partial=True)],
                         ids=[*(s.stem for s in STYLES), SLOW_STYLE.stem])
def test_correct_styles_pass_every_visible_check(answers):
    assert visible_failures(answers) == []


def test_the_reference_passes_every_visible_check():
    assert visible_failures(synthetic_submissions.reference_answers()) == []


def classes(answers):
    namespace = {"np": np}
    for grade_id in layout.GRADED_CLASSES.values():
        exec(compile(answers[grade_id], f"<{grade_id}>", "exec"), namespace)
    return namespace


def verdict(check, *args):
    """True if a hidden check passes."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*args)
        return True
    except AssertionError:
        return False


def checker_verdicts(ns):
    """(gradient checker, hidden check) verdicts for each piece with a gradient."""
    rng = np.random.default_rng(7)
    quiet = dict(verbose=False)
    return {
        "Linear": (gradcheck.check_layer(ns["Linear"](4, 3), rng.standard_normal((5, 4)), **quiet),
                   verdict(checks.check_linear_gradients, ns["Linear"])),
        "ReLU": (gradcheck.check_layer(ns["ReLU"](), rng.standard_normal((4, 6)), **quiet),
                 verdict(checks.check_relu_gradients, ns["ReLU"])),
        "loss": (gradcheck.check_loss(ns["Softmax"](), ns["CrossEntropyLoss"](), rng.standard_normal((4, 5)),
                                      [0, 3, 1, 4], **quiet),
                 verdict(checks.check_cross_entropy_gradients, ns["Softmax"], ns["CrossEntropyLoss"])),
        "MLP": (gradcheck.check_model(ns["MLP"]([6, 5, 4, 3]), rng.standard_normal((4, 6)), np.array([0, 2, 1, 2]),
                                      **quiet),
                verdict(checks.check_mlp_gradients, ns["MLP"])),
    }


# Mistakes of a backward pass. Left out: initialisation, clipping (the loss at extreme probabilities,
# which one random input does not reach) and a layer too few (a smaller model whose gradients are right).
NOT_GRADIENT_MISTAKES = {"ce_no_clip", "ce_clips_too_hard", "mlp_drops_last_layer", "bias_init_random"}
GRADIENT_MUTANTS = [m for m in MUTANTS if m["cell"] in ("linear", "relu", "cross_entropy", "mlp")
                    and "init" not in m["name"] and m["name"] not in NOT_GRADIENT_MISTAKES]


@pytest.mark.parametrize("answers", [synthetic_submissions.reference_answers(),
                                     *(mutant_answers(m) for m in GRADIENT_MUTANTS),
                                     *(style_answers(s) for s in STYLES)],
                         ids=["reference", *(m["name"] for m in GRADIENT_MUTANTS), *(s.stem for s in STYLES)])
def test_gradient_checker_agrees_with_the_hidden_gradient_checks(answers):
    with np.errstate(all="ignore"):
        for piece, (ours, grader) in checker_verdicts(classes(answers)).items():
            assert ours == grader, f"{piece}: gradient checker says {ours}, hidden check says {grader}"


def test_gradient_checker_prints_a_table(capsys):
    ns = classes(mutant_answers(next(m for m in MUTANTS if m["name"] == "dw_summed")))
    assert gradcheck.check_layer(ns["Linear"](3, 2), np.random.default_rng(0).standard_normal((4, 3))) is False
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("Linear on a (4, 3) input")
    rows = {line.split()[0]: line for line in table[2:]}
    assert rows["dX"].endswith(" ok") and rows["db"].endswith(" ok") and rows["dW"].endswith("NOT OK")


def test_numerical_gradient_restores_its_input():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = gradcheck.numerical_gradient(lambda: np.sum(x ** 3), x)
    assert np.array_equal(x, before)
    assert gradcheck.relative_error(grad, 3 * before ** 2) < 1e-8
