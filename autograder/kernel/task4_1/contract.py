"""Task 4.1's classes as contracts: the properties every correct implementation has, one function each.

Each property calls the student's class on probes and fails (``harness.fail``) with what it measured
(``measure.describe``): shape, a constant factor in the problem's sizes, sign, NaN or inf and from
which magnitude on, which entries differ, inputs changed in place, a second call that remembers the
first. It names a cause (a diagnosis identifier of diagnoses.py) only when a probe confirmed it.
The hidden tests (checks.py) run these properties, grouped per class below, in the order a student
would fix them: shapes first, then values, purity, gradients, state across calls.
"""
import types

import numpy as np

from autograder.kernel import harness
from autograder.kernel.harness import STEP, TOLERANCE, call, numerical_gradient, precision_of, quiet, time_limit
from autograder.kernel.measure import Probe, describe, rel_error
from autograder.kernel.task4_1 import diagnoses

EXACT = 1e-6  # tolerance for closed-form results computed in float64 (updates, masks)


def fail(message, context="", diagnosis=None):
    """Fail the test with ``message``; ``diagnosis`` is one of Task 4.1's identifiers (None: not known)."""
    harness.fail(message, context, diagnosis, diagnoses.TITLES)


def expect(name, got, expected, tol, ctx, sizes=None, regions=None, probes=(), factor_names=None, explain=None):
    """Fail with the measured difference when ``got`` is not ``expected``.

    ``explain(got)``: a closer measurement (lines, diagnosis) for a difference no probe named, or None.
    """
    found = describe(name, got, expected, tol, sizes, regions, probes, factor_names)
    if found:
        lines, diagnosis = found
        if diagnosis is None and explain is not None and np.shape(got) == np.shape(expected):
            closer = explain(np.asarray(got, dtype=np.float64))
            if closer:
                lines, diagnosis = lines[:1] + closer[0], closer[1]
        fail("\n  ".join(lines), ctx, diagnosis)


def unchanged(name, before, after, ctx):
    """Purity: the caller's array is the same after the call."""
    if np.shape(before) != np.shape(after) or not np.array_equal(before, after):
        changed = int(np.sum(np.asarray(before) != np.asarray(after))) if np.shape(before) == np.shape(after) else "all"
        fail(f"the call changed {name} that the caller passed in ({changed} of {np.size(before)} entries).\n  "
             "Work on a copy (or compute a new array): the caller may still need it.", ctx, "mutates-input")


def tolerance_for(*arrays):
    return TOLERANCE[max((precision_of(a) for a in arrays if a is not None), key=lambda d: d.itemsize,
                         default=np.dtype(np.float64))] if arrays else TOLERANCE[np.dtype(np.float64)]


# ------------------------------------------------------------------ Linear

def linear_parameter_shapes(Linear, d_in, d_out, ctx):
    layer = call("Linear(...)", Linear, d_in, d_out)
    W, b = np.shape(getattr(layer, "W", None)), np.shape(getattr(layer, "b", None))
    if W == (d_out, d_in) and d_in != d_out:
        fail(f"Linear({d_in}, {d_out}).W has shape {W}; expected (in_features, out_features) = {(d_in, d_out)}.\n  "
             "It is stored (out, in), as for column vectors; here a batch is rows: Z = X @ W + b.",
             ctx, "linear.weights-orientation")
    if W != (d_in, d_out) or b != (d_out,):
        fail(f"Linear({d_in}, {d_out}) has W {W} and b {b}; expected {(d_in, d_out)} and {(d_out,)}.", ctx,
             "wrong-shape")
    return layer


def linear_forward(layer, X, ctx):
    X_before = X.copy()
    Z = call("Linear.forward", layer.forward, X)
    unchanged("X (the forward input)", X_before, X, ctx)
    W, b = np.asarray(layer.W, dtype=np.float64), np.asarray(layer.b, dtype=np.float64)
    probes = [Probe("linear.bias-ignored", "It equals X @ W: the bias b is not added.", X @ W)]
    if W.shape[0] == W.shape[1]:
        probes.append(Probe("linear.weights-orientation", "It equals X @ W.T + b: W is used as (out, in).",
                            X @ W.T + b))
    expect("forward output Z", Z, X @ W + b, tolerance_for(Z), ctx, {"the batch size": len(X)}, probes=probes,
           explain=lambda got: linear_bias_part(got, X, W, b, tolerance_for(Z)))
    return Z


def linear_bias_part(got, X, W, b, tol):
    """When Z - X @ W is the same row for every sample, that row is what the layer adds as its bias."""
    residual = got - X @ W
    if len(X) < 2 or not np.allclose(residual, residual[:1], rtol=1e-9, atol=1e-9 * (1 + np.abs(residual).max())):
        return None
    found = describe("The part of Z added to every sample (Z - X @ W)", residual[0], b, tol)
    return found and (["X @ W is right, the bias part is not."] + found[0], found[1])


def linear_backward(layer, X, G, ctx):
    """dX, dW, db against centred differences of sum(forward(X) * G); dZ unchanged by backward."""
    n = len(X)
    G_before = G.copy()
    dX = call("Linear.backward", layer.backward, G,
              shape_hint="dZ is (batch, out) and W is (in, out), so dX = dZ @ W.T is (batch, in) "
                         "and dW = X.T @ dZ is (in, out).")
    unchanged("dZ (the upstream gradient)", G_before, G, ctx)
    precision = precision_of(np.asarray(layer.forward(X)) if dX is None else dX)
    tol, step = TOLERANCE[precision], STEP[precision]

    def loss():
        with quiet(), time_limit("Linear.forward", (X,)):
            return np.sum(np.asarray(layer.forward(X), dtype=np.float64) * G)

    d_in, d_out = np.shape(layer.W)
    sizes = {"the batch size": n, "in_features": d_in, "out_features": d_out}
    num_dX, num_dW, num_db = (numerical_gradient(loss, array, step) for array in (X, layer.W, layer.b))
    W = np.asarray(layer.W, dtype=np.float64)
    expect("dX (returned by backward)", dX, num_dX, tol, ctx, sizes,
           probes=[Probe("linear.weights-orientation", "It equals dZ @ W: the transpose of W is missing.", G @ W)]
           if d_in == d_out else ())
    expect("layer.dW", layer.dW, num_dW / n, tol, ctx, sizes)
    db_probes = [Probe("wrong-shape", "It equals dZ.mean(axis=0, keepdims=True): the values are right; db has "
                                      "shape (out_features,), without the batch axis.", G.mean(axis=0, keepdims=True))]
    if n > 1:
        db_probes += [
            Probe("linear.db-wrong-axis", "It equals dZ.mean(axis=1): each sample averaged over its outputs. "
                                          "db averages over the batch, axis 0.", G.mean(axis=1)),
            Probe("linear.db-wrong-axis", "It equals dZ: one row per sample, not averaged over the batch "
                                          "(axis 0).", G)]
    expect("layer.db", layer.db, num_db / n, tol, ctx, sizes, probes=db_probes)


def linear_state(Linear, rng, ctx):
    """A second forward and backward give what a fresh layer gives for the second batch alone."""
    d_in, d_out, n = 4, 3, 5
    W, b = rng.standard_normal((d_in, d_out)), rng.standard_normal(d_out)
    X1, G1, X2, G2 = (rng.standard_normal(shape) for shape in ((n, d_in), (n, d_out), (n, d_in), (n, d_out)))

    def fresh(*calls):
        """dW of a new layer with W and b after the (X, G) pairs given, one forward and backward each."""
        layer = linear_parameter_shapes(Linear, d_in, d_out, ctx)
        layer.W, layer.b = W.copy(), b.copy()
        for X, G in calls:
            X_in, G_in = X.copy(), G.copy()
            call("Linear.forward", layer.forward, X_in)
            unchanged("X (the forward input)", X, X_in, ctx)
            call("Linear.backward", layer.backward, G_in)
            unchanged("dZ (the upstream gradient)", G, G_in, ctx)
        return None if layer.dW is None else np.array(layer.dW, dtype=np.float64)

    alone, first = fresh((X2, G2)), fresh((X1, G1))
    if alone is None or first is None:
        return  # the gradient checks say that dW is never set
    layer = linear_parameter_shapes(Linear, d_in, d_out, ctx)
    layer.W, layer.b = W.copy(), b.copy()
    call("Linear.forward", layer.forward, X1.copy())
    call("Linear.forward", layer.forward, X2.copy())
    call("Linear.backward", layer.backward, G2.copy())
    stale = layer.dW
    expect("layer.dW after two forward calls, then backward", stale, alone, EXACT * 10, ctx, probes=[
        Probe("state-leaks-between-calls", "It is what the first forward call's input gives: forward must cache "
                                           "the input of every call.", fresh((X1, G2)))],
        explain=lambda got: (["It differs from what a new layer gives for the second call alone."], None))
    expect("layer.dW after a second forward and backward", fresh((X1, G1), (X2, G2)), alone, EXACT * 10,
           ctx + "; two calls in a row", probes=[
               Probe("state-leaks-between-calls", "It equals the first batch's dW plus the second's: dW adds "
                                                  "up across backward calls. Assign it; do not accumulate (+=).",
                     first + alone),
               Probe("state-leaks-between-calls", "It is divided by the samples of both calls: average over this "
                                                  "batch only.", alone / 2)],
           explain=lambda got: (["It differs from what a new layer gives for the second call alone: the layer "
                                 "keeps something from the first call."], "state-leaks-between-calls"))


def init_distribution(Linear):
    """He initialisation: zero bias; weights centred, not symmetric, with std sqrt(2 / in_features)."""
    d_in, d_out = 400, 300
    ctx = f"Linear({d_in}, {d_out}) as created"
    layer = linear_parameter_shapes(Linear, d_in, d_out, ctx)
    W, b = np.asarray(layer.W, dtype=np.float64), np.asarray(layer.b, dtype=np.float64)
    if np.any(b != 0):
        fail(f"b starts at mean {b.mean():.4g}, std {b.std():.4g}; biases should start at zero.", ctx,
             "init.bias-not-zero")
    if not np.any(W):
        fail("W is all zeros: every neuron of a layer would compute the same thing and learn the same "
             "update, so they never become different.", ctx, "init.zero-weights")
    std, target = float(W.std()), np.sqrt(2.0 / d_in)
    distinct_columns = len(np.unique(np.round(W, 12), axis=1)) if W.ndim == 2 else 0
    if distinct_columns < W.shape[1] or len(np.unique(W)) < W.size // 2:
        fail(f"W has {distinct_columns} distinct columns of {W.shape[1]} and {len(np.unique(W))} distinct "
             f"values of {W.size}: neurons that start equal get equal updates and stay equal. "
             "Draw every weight independently.", ctx, "init.symmetric")
    mean, positive = float(W.mean()), float(np.mean(W > 0))
    if abs(mean) > 5 * std / np.sqrt(W.size) + 1e-12 and abs(mean) > 0.05 * std:
        fail(f"the weights' mean is {mean:.4g} ({mean / std:+.2f} standard deviations) and {positive:.0%} are "
             "positive: He initialisation draws them centred at 0 (a normal distribution with mean 0), "
             "half of them negative.", ctx, "init.not-centred")
    if not 0.9 * target < std < 1.1 * target:
        fail(f"the weights' std is {std:.4f}; He initialisation gives sqrt(2 / in_features) = {target:.4f} "
             f"(measured / expected = {std / target:.3f}).", ctx, "init.wrong-scale")


# -------------------------------------------------------------------- ReLU

def relu_probe_input(rng, shape):
    """Inputs of both signs, at least 0.1 from the kink, and a few exact zeros."""
    Z = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    Z.flat[:: max(3, Z.size // 3)] = 0.0
    return Z


def relu_forward(relu, Z, ctx):
    Z_before = Z.copy()
    A = call("ReLU.forward", relu.forward, Z)
    unchanged("Z (the forward input)", Z_before, Z, ctx)
    expect("ReLU forward output", A, np.maximum(Z, 0), tolerance_for(A), ctx,
           regions={"where the input is negative": (Z < 0, "relu.negative-inputs-pass")})
    return A


def relu_backward(relu, Z, G, ctx, expected=None):
    """``expected``: the centred differences when Z has no zeros; else dA where Z > 0 (0 at the kink)."""
    G_before = G.copy()
    dZ = call("ReLU.backward", relu.backward, G)
    unchanged("dA (the upstream gradient)", G_before, G, ctx)
    expected = G * (Z > 0) if expected is None else expected
    expect("ReLU.backward output", dZ, expected, tolerance_for(dZ), ctx, probes=[
        Probe("relu.mask-only", "It equals the mask (Z > 0) alone: multiply it by the upstream gradient dA.",
              (Z > 0).astype(float)),
        Probe("relu.mask-from-upstream", "It equals dA * (dA > 0): the mask comes from the upstream gradient, "
                                         "not from the forward input Z.", G * (G > 0)),
        Probe("relu.no-mask", "It equals dA unchanged: no entry was zeroed.", G)],
        regions={"where the forward input is exactly 0": (Z == 0, "relu.mask-includes-zero"),
                 "where the forward input is negative": (Z < 0, "relu.negative-inputs-pass")})


def relu_state(ReLU, rng, ctx):
    """Each instance answers from its own last input, as a fresh ReLU given only that input would."""
    Z1, Z2, G = relu_probe_input(rng, (3, 5)), relu_probe_input(rng, (3, 5)), rng.standard_normal((3, 5))

    def fresh(*inputs):
        relu = call("ReLU()", ReLU)
        for Z in inputs:
            Z_in = Z.copy()
            call("ReLU.forward", relu.forward, Z_in)
            unchanged("Z (the forward input)", Z, Z_in, ctx)
        return np.asarray(call("ReLU.backward", relu.backward, G.copy()), dtype=np.float64)

    after_1, after_2 = fresh(Z1), fresh(Z2)
    first, second = call("ReLU()", ReLU), call("ReLU()", ReLU)
    call("ReLU.forward", first.forward, Z1.copy())
    call("ReLU.forward", second.forward, Z2.copy())
    expect("first.backward after another ReLU's forward", call("ReLU.backward", first.backward, G.copy()), after_1,
           EXACT, ctx + "; two ReLU objects", probes=[
               Probe("shared-state", "It is what the other ReLU's input gives: the objects share one mask (a class "
                                     "attribute or a global). Store it on self.", after_2)],
           explain=lambda got: (["It differs from what a new ReLU gives for the same input: the objects share "
                                 "state."], "shared-state"))
    expect("backward after two forward calls", fresh(Z1, Z2), after_2, EXACT, ctx + "; two forward calls, then "
           "backward", probes=[Probe("state-leaks-between-calls", "It is what the first forward call's input gives: "
                                                                  "forward must cache the input of every call.",
                                     after_1)],
           explain=lambda got: (["It differs from what a new ReLU gives for the second input alone."],
                                "state-leaks-between-calls"))


# --------------------------------------------------------------- Softmax

def reference_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_values(Softmax, logits, ctx, rows_first=False):
    """Purity, the axis, each row on its own (``rows_first``: before the values), then the values."""
    before = logits.copy()
    probs = call("Softmax.forward", call("Softmax()", Softmax).forward, logits)
    unchanged("the logits", before, logits, ctx)
    got = np.asarray(probs, dtype=np.float64)
    if got.shape == logits.shape and logits.shape[0] > 1 and np.all(np.isfinite(got)) \
            and np.allclose(got.sum(axis=0), 1, atol=1e-4) and not np.allclose(got.sum(axis=1), 1, atol=1e-4):
        fail(f"each column sums to 1 and the rows do not (row sums {np.array2string(got.sum(axis=1), precision=3)}):"
             "\n  it is normalised over axis 0, the batch. Each row, one sample, must sum to 1 (axis=1).", ctx,
             "softmax.wrong-axis")
    if rows_first:
        softmax_rows_independent(Softmax, logits, ctx)
    expect("softmax probabilities", probs, reference_softmax(logits), tolerance_for(probs), ctx)
    return probs


def softmax_rows_independent(Softmax, logits, ctx):
    """Each row's probabilities depend on that row only."""
    together = np.asarray(call("Softmax.forward", call("Softmax()", Softmax).forward, logits), dtype=np.float64)
    for i in range(len(logits)):
        alone = np.asarray(call("Softmax.forward", call("Softmax()", Softmax).forward, logits[i:i + 1]),
                           dtype=np.float64)
        if together.shape == logits.shape and alone.shape == (1, logits.shape[1]) \
                and np.all(np.isfinite(alone)) and rel_error(together[i], alone[0]) > 1e-6:
            fail(f"row {i} of the batch gets different probabilities than the same logits alone "
                 f"({np.array2string(together[i], precision=3)} vs {np.array2string(alone[0], precision=3)}):\n  "
                 "each row's result depends on the other rows (a shift or sum over the whole batch). "
                 "Shift and normalise each row by its own values (axis=1, keepdims=True).", ctx,
                 "softmax.rows-coupled")


def softmax_stability(Softmax, rng):
    """Probabilities stay exact as the logits grow: the first magnitude that fails is reported."""
    good = None
    for magnitude in (1e1, 1e2, 5e2, 1e3, 1e4, 1e5):
        logits = magnitude * (1 + 0.01 * rng.standard_normal((3, 6))) * rng.choice([-1.0, 1.0], (3, 1))
        logits += rng.standard_normal((3, 6)) * 3
        probs = call("Softmax.forward", call("Softmax()", Softmax).forward, logits)
        found = describe("softmax probabilities", probs, reference_softmax(logits), tolerance_for(probs))
        if found:
            lines, diagnosis = found
            since = f"right for logits up to about {good:.0e}, wrong from about {magnitude:.0e} on" if good \
                else f"already wrong at logits of about {magnitude:.0e}"
            if diagnosis == "not-finite":
                lines.append("np.exp overflows for large logits (and a row can underflow to 0 / 0): "
                             "subtract each row's maximum before exponentiating; softmax does not change.")
            diagnosis = diagnosis if diagnosis not in (None, "not-finite") else "softmax.overflow"
            fail(f"{since}.\n  " + "\n  ".join(lines), f"logits of magnitude {magnitude:.0e}", diagnosis)
        good = magnitude


# ------------------------------------------------------------ Cross-entropy

def loss_value(loss_fn, probs, targets, ctx):
    n, c = probs.shape
    before = probs.copy()
    value = call("CrossEntropyLoss.forward", loss_fn.forward, probs, targets)
    unchanged("the probabilities", before, probs, ctx)
    picked = probs[np.arange(n), targets]
    expected = -np.mean(np.log(picked))
    try:
        value = float(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        fail(f"the loss should be one number; got shape {np.shape(value)}.", ctx, "wrong-shape")
    bound = clipping_bound(value, picked)
    if bound:  # one number fits one loss: the bound must also predict the loss of other probabilities
        other = np.full((n, c), 0.5 / (c - 1) if c > 1 else 1.0)
        other[np.arange(n), targets] = np.linspace(0.002, 0.5, n) if c > 1 else 1.0
        other_value = call("CrossEntropyLoss.forward", type(loss_fn)().forward, other, targets)
        predicted = -np.mean(np.log(np.clip(other[np.arange(n), targets], bound, 1 - bound)))
        if not np.isclose(float(np.asarray(other_value).reshape(-1)[0]), predicted, rtol=1e-9, atol=1e-12):
            bound = None
    misread = []
    if n == 1 or n == c:  # integer targets broadcast against (N, C): the sum of targets * log(probs)
        misread.append(Probe("loss.targets-misread", "It equals -mean(sum(targets * log(probs))): the targets are "
                                                     "class indices (one per sample), not one-hot rows.",
                             -np.mean(np.sum(targets * np.log(probs), axis=1))))
    if targets.max() < n:
        misread.append(Probe("loss.targets-misread", "It equals -mean(log(probs[targets])): that picks whole rows. "
                                                     "Pick one entry per sample: probs[np.arange(N), targets].",
                             -np.mean(np.log(probs[targets]))))
    expect("the loss", np.asarray(value), np.asarray(expected), 1e-6, ctx,
           {"the batch size": n, "the number of classes": c}, probes=[
               Probe("loss.summed", f"It equals the sum over the batch ({n} samples): take the mean.",
                     n * expected),
               Probe("loss.mean-over-all-entries", "It equals the mean over all N x C entries of "
                                                   "-one_hot * log(probs): average over the N samples only.",
                     expected / c),
               Probe("loss.wrong-log-base", "It is computed with log2: cross-entropy uses the natural log.",
                     expected / np.log(2)),
               Probe("loss.wrong-log-base", "It is computed with log10: cross-entropy uses the natural log.",
                     expected / np.log(10)),
               *misread
           ] + ([Probe("loss.clipped-too-hard", f"It equals the loss with probabilities clipped to [{bound:.3g}, "
                                                 f"1 - {bound:.3g}]; the smallest true-class probability here is "
                                                 f"{picked.min():.3g}: a bound that large changes ordinary "
                                                 "predictions. Clip with a tiny epsilon (1e-10 or so).",
                       -np.mean(np.log(np.clip(picked, bound, 1 - bound))))] if bound else []))


def clipping_bound(value, picked):
    """The epsilon for which -mean(log(clip(picked, eps, 1 - eps))) is ``value``, when one in (1e-6, 0.5) is;
    else None. The loss only grows as eps falls below the smallest probability, so bisect on log10(eps)."""
    try:
        value = float(np.asarray(value).reshape(()))
    except (TypeError, ValueError):
        return None
    def loss(eps):
        return -np.mean(np.log(np.clip(picked, eps, 1 - eps)))

    low, high = -6.0, np.log10(0.5)
    if not loss(10 ** high) <= value <= loss(10 ** low) or abs(loss(10 ** low) - value) < 1e-12:
        return None
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if loss(10 ** middle) > value else (low, middle)
    return 10 ** high if abs(loss(10 ** high) - value) <= 1e-9 * max(1.0, abs(value)) else None


def loss_backward(loss_fn, probs, targets, ctx):
    n, c = probs.shape
    one_hot = np.eye(c)[targets]
    before = probs.copy()
    grad = call("CrossEntropyLoss.backward", loss_fn.backward)
    unchanged("the probabilities given to forward", before, probs, ctx)
    predicted = np.eye(c)[probs.argmax(axis=1)]
    expect("CrossEntropyLoss.backward()", grad, probs - one_hot, tolerance_for(grad), ctx,
           {"the batch size": n, "the number of classes": c}, probes=[
               Probe("loss.grad-averaged", f"It equals (probs - one_hot) / {n}, averaged over the batch: the course "
                                           "averages in Linear (dW, db), so backward returns probs - one_hot.",
                     (probs - one_hot) / n),
               Probe("loss.grad-wrt-probs", "It equals -one_hot / probs, the derivative with respect to the "
                                            "probabilities; backward returns the gradient with respect to the "
                                            "logits through softmax: probs - one_hot.", -one_hot / probs),
               Probe("loss.grad-wrt-probs", "It equals -one_hot / probs / N, the derivative of the mean loss with "
                                            "respect to the probabilities; backward returns probs - one_hot.",
                     -one_hot / probs / n),
               Probe("loss.grad-negated", "It equals one_hot - probs: the sign is reversed.", one_hot - probs),
               Probe("loss.no-minus-one", "It equals the probabilities unchanged: subtract 1 at each sample's "
                                          "true class.", probs),
               Probe("loss.grad-wrong-class", "It equals probs - one_hot of the predicted class (argmax): the 1 "
                                              "is subtracted at the true class (targets).", probs - predicted)],
           regions={"at each sample's true class": (one_hot.astype(bool), None)})


def loss_confident_wrong(CrossEntropyLoss):
    probs, targets = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([1, 1])
    loss_fn = call("CrossEntropyLoss()", CrossEntropyLoss)
    value = call("CrossEntropyLoss.forward", loss_fn.forward, probs, targets)
    ctx = "probabilities [[1, 0, 0], [0, 1, 0]], targets [1, 1]"
    if not np.all(np.isfinite(value)):
        fail(f"the loss is {value} when a true class has probability 0: log(0) = -inf.\n  "
             "Clip the probabilities to [eps, 1 - eps] before taking the log.", ctx, "loss.log-zero")
    if not float(np.asarray(value).reshape(-1)[0]) > 5:
        fail(f"the loss is {float(np.asarray(value).reshape(-1)[0]):.3f} for a prediction that is certain and "
             "wrong;\n  expected a large value (about -log(eps) / 2): the clipping bound is too far from 0.",
             ctx, "loss.too-small-when-wrong")
    grad = call("CrossEntropyLoss.backward", loss_fn.backward)
    if grad is None or not np.all(np.isfinite(grad)):
        fail("CrossEntropyLoss.backward is not finite after a certain, wrong prediction.", ctx, "not-finite")


# --------------------------------------------------------------------- MLP

def mlp_reference_pass(layers, X, upstream, relu_between=True, relu_on_output=False, relu_backward=True):
    """Forward (probs) and each layer's (dW, db) for the student's weights, under the given structure."""
    inputs, h = [], X
    for i, layer in enumerate(layers):
        inputs.append(h)
        h = h @ np.asarray(layer.W, dtype=np.float64) + np.asarray(layer.b, dtype=np.float64)
        if (i < len(layers) - 1 and relu_between) or (i == len(layers) - 1 and relu_on_output):
            h = np.maximum(h, 0)
    probs = reference_softmax(h)
    grads, g = [None] * len(layers), upstream
    for i in reversed(range(len(layers))):
        x = inputs[i]
        grads[i] = (x.T @ g / len(X), g.mean(axis=0))
        g = g @ np.asarray(layers[i].W, dtype=np.float64).T
        if i > 0 and relu_between and relu_backward:
            g = g * (inputs[i] > 0)
    return probs, grads


def mlp_structure(MLP, sizes, ctx):
    model = call("MLP(...)", MLP, list(sizes))
    layers = list(getattr(model, "layers", []))
    if len(layers) != len(sizes) - 1:
        fail(f"model.layers has {len(layers)} entries; MLP({sizes}) needs {len(sizes) - 1} Linear layers.",
             ctx, "mlp.layer-count")
    for i, layer in enumerate(layers):
        want = (sizes[i], sizes[i + 1])
        if np.shape(getattr(layer, "W", None)) != want or np.shape(getattr(layer, "b", None)) != (want[1],):
            fail(f"layers[{i}] has W {np.shape(getattr(layer, 'W', None))} and b "
                 f"{np.shape(getattr(layer, 'b', None))}; expected {want} and {(want[1],)}.", ctx, "wrong-shape")
    return model, layers


def mlp_forward(model, layers, X, ctx):
    """The output's shape; a structure mistake only when the output equals what that structure computes.

    Values are not compared with a reference: a mistake in Linear or ReLU would cost the MLP test too.
    The gradient property checks the network against its own forward.
    """
    probs = call("MLP.forward", model.forward, X)
    want = (len(X), np.shape(layers[-1].W)[1])
    if np.shape(probs) != want:
        fail(f"MLP.forward returned shape {np.shape(probs)}; expected (batch, classes) = {want}.", ctx, "wrong-shape")
    got = np.asarray(probs, dtype=np.float64)
    zero = np.zeros(want)
    right, _ = mlp_reference_pass(layers, X, zero)
    if rel_error(got, right) > tolerance_for(probs):
        logits = mlp_logits(layers, X)
        for probe in (Probe("mlp.returns-logits", "It equals the last layer's output before softmax (the logits): "
                                                  "forward returns probabilities.", logits),
                      Probe("mlp.relu-on-output", "It equals softmax after a ReLU on the last layer too: the output "
                                                  "layer has no ReLU.", mlp_reference_pass(layers, X, zero,
                                                                                           relu_on_output=True)[0]),
                      Probe("mlp.missing-relu", "It equals the network without ReLUs between the layers.",
                            mlp_reference_pass(layers, X, zero, relu_between=False)[0])):
            if rel_error(got, probe.value) <= tolerance_for(probs):
                fail(f"MLP.forward output is wrong.\n  {probe.cause}", ctx, probe.diagnosis)
    return np.asarray(probs)


def pieces_correct(model, layers, rng):
    """Whether every Linear of the model and every ReLU of model.activations computes its forward and
    backward as the contract says, on its own (fresh inputs; the layers' parameters are kept)."""
    try:
        with quiet():
            for layer in layers:
                W, b = np.asarray(layer.W, dtype=np.float64), np.asarray(layer.b, dtype=np.float64)
                X, G = rng.standard_normal((3, W.shape[0])), rng.standard_normal((3, W.shape[1]))
                Z, dX = layer.forward(X.copy()), layer.backward(G.copy())
                for got, right in ((Z, X @ W + b), (dX, G @ W.T), (layer.dW, X.T @ G / 3), (layer.db, G.mean(0))):
                    if got is None or np.shape(got) != right.shape or rel_error(got, right) > 1e-4:
                        return False
            masks = relus_mask(model, rng)
    except Exception:  # noqa: BLE001 - a piece that raises is not right on its own
        return False
    return masks is not False


def mlp_logits(layers, X):
    logits = X
    for i, layer in enumerate(layers):
        logits = logits @ np.asarray(layer.W, dtype=np.float64) + np.asarray(layer.b, dtype=np.float64)
        logits = np.maximum(logits, 0) if i < len(layers) - 1 else logits
    return logits


def relus_mask(model, rng):
    """Whether the model's ReLU objects (model.activations) zero the gradient where their input was negative;
    None when the model has no such list."""
    activations = list(getattr(model, "activations", []) or [])
    if not activations:
        return None
    Z, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for relu in activations:
        call("ReLU.forward", relu.forward, Z.copy())
        dZ = np.asarray(call("ReLU.backward", relu.backward, G.copy()), dtype=np.float64)
        if dZ.shape != G.shape or rel_error(dZ, G * (Z > 0)) > 1e-6:
            return False
    return True


def mlp_gradients(model, layers, X, targets, probs, ctx):
    """Every layer's dW and db against centred differences, from the output back to the first layer."""
    n = len(X)
    upstream = probs.astype(np.float64)
    upstream[np.arange(n), targets] -= 1
    try:
        call("MLP.backward", model.backward, upstream,
             shape_hint="backward walks the layers in reverse: the last Linear first, then each ReLU's "
                        "backward and the Linear before it.")
    except AssertionError as exc:
        if diagnoses.of_exception(exc) == "shape-error" and pieces_correct(model, layers, np.random.default_rng(0)):
            fail(f"{exc}\n  Each Linear and ReLU of the model is right on its own shapes, so the pieces are walked "
                 "in the wrong order or paired wrongly.", ctx, "mlp.backward-order")
        raise
    precision = precision_of(probs)

    def loss():
        with quiet(), time_limit("MLP.forward", (X,)):
            picked = np.asarray(model.forward(X), dtype=np.float64)[np.arange(n), targets]
            return -np.mean(np.log(np.clip(picked, 1e-300, None)))

    _, no_relu_backward = mlp_reference_pass(layers, X, upstream, relu_backward=False)
    last = len(layers) - 1
    for i in reversed(range(len(layers))):
        where = "the output layer" if i == last else f"hidden layer {i}"
        right_after = "" if i == last else (f"; layers {i + 1}..{last} (nearer the output) are right"
                                            if i < last - 1 else "; the output layer is right")
        for name, got, param, k in (("dW", layers[i].dW, layers[i].W, 0), ("db", layers[i].db, layers[i].b, 1)):
            expected = numerical_gradient(loss, param, STEP[precision])
            depth = last - i
            probes = []
            if depth and rel_error(got, no_relu_backward[i][k]) <= TOLERANCE[precision]:
                masks = relus_mask(model, np.random.default_rng(0))
                why = {True: ("mlp.backward-order", "MLP.backward does not apply the ReLUs' backward between the "
                                                    "layers (the model's ReLU objects mask correctly on their own)."),
                       False: ("relu.no-mask", "The model's ReLU objects pass the gradient through unmasked "
                                               "(the ReLU test measures it)."),
                       None: (None, "")}[masks]
                probes.append(Probe(why[0], "It equals the gradient with no ReLU masking between the layers. "
                                    + why[1], no_relu_backward[i][k]))
            if depth and n > 1:
                probes.append(Probe("batch-division-extra", f"It is {n ** depth}x too small, one factor of the batch "
                                                            f"size per layer above it: the gradient handed back "
                                                            f"(dX) is averaged. Only dW and db are averaged.",
                                    expected / n ** depth))
            found = describe(f"layers[{i}].{name} ({where})", got, expected, TOLERANCE[precision],
                             {"the batch size": n}, probes=probes)
            if found:
                lines, diagnosis = found
                lines[0] = lines[0].rstrip(".") + right_after + "."
                rows = np.asarray(probs, dtype=np.float64)
                if not diagnosis and n > 1 and np.allclose(rows.sum(axis=0), 1, atol=1e-4) \
                        and not np.allclose(rows.sum(axis=1), 1, atol=1e-4):
                    lines.append(f"MLP.forward's rows sum to {np.array2string(rows.sum(axis=1), precision=3)} and "
                                 "each column to 1: its softmax is normalised over axis 0, the batch.")
                    diagnosis = "softmax.wrong-axis"
                if depth and not diagnosis:
                    if pieces_correct(model, layers, np.random.default_rng(0)):
                        lines.append("Each Linear and ReLU of the model is right on its own: the wiring between "
                                     "them in MLP.backward is not.")
                        diagnosis = "mlp.layer-gradient-wrong"
                    else:
                        lines.append("The model's Linear or ReLU objects are wrong on their own: their tests "
                                     "measure how.")
                fail("\n  ".join(lines), ctx, diagnosis)


# -------------------------------------------------------------- optimisers

SHAPES = ((3, 4), (4, 4), (4, 4), (4, 2))  # different shapes, and two layers of one shape


def toy_model(rng, shapes=SHAPES):
    """Layers of different shapes, two of them the same shape: per-parameter state must not be shared."""
    return types.SimpleNamespace(layers=[types.SimpleNamespace(
        W=rng.standard_normal(s), b=rng.standard_normal(s[1]), dW=rng.standard_normal(s), db=rng.standard_normal(s[1]))
        for s in shapes])


def new_gradients(model, rng):
    """What a Linear's backward does each step: new gradient arrays (new objects, new values)."""
    for layer in model.layers:
        layer.dW, layer.db = rng.standard_normal(layer.W.shape), rng.standard_normal(layer.b.shape)


def replace_parameters(model):
    """What code that loads weights does: new arrays with the same values."""
    for layer in model.layers:
        layer.W, layer.b = np.array(layer.W, dtype=np.float64), np.array(layer.b, dtype=np.float64)


def parameters(model):
    return [[np.array(layer.W, dtype=np.float64), np.array(layer.b, dtype=np.float64)] for layer in model.layers]


def expect_updates(model, start, expected, ctx, probes_for, factor_names):
    """Each parameter's update (after - before) against the right one: a constant factor, such as the
    learning rate, shows in the update, not in the parameter."""
    for i, layer in enumerate(model.layers):
        for k, name in enumerate(("W", "b")):
            got = getattr(layer, name)
            if np.shape(got) != np.shape(start[i][k]):
                expect(f"layers[{i}].{name}", got, expected[i][k], EXACT, ctx)
            update = np.asarray(got, dtype=np.float64) - start[i][k]
            tol = EXACT if precision_of(got) == np.float64 else 1e-3  # float32 parameters round each update
            expect(f"the update of layers[{i}].{name} (its value after the step minus before)", update,
                   expected[i][k] - start[i][k], tol, ctx,
                   probes=[Probe(p.diagnosis, p.cause, p.value - start[i][k]) for p in probes_for(i, k)],
                   factor_names=factor_names)


def one_layer_works(make_optimizer, name, rng):
    """Whether the optimiser steps a one-layer model twice without raising."""
    model = toy_model(rng, shapes=SHAPES[:1])
    try:
        with quiet():
            optimizer = make_optimizer()
            for _ in range(2):
                optimizer.step(model)
                new_gradients(model, rng)
    except Exception:  # noqa: BLE001 - only whether it raises matters
        return False
    return True


def step_or_explain(name, make_optimizer, optimizer, model, rng, ctx):
    try:
        call(f"{name}.step", optimizer.step, model)
    except AssertionError as exc:
        if diagnoses.of_exception(exc) in ("code-raises", "shape-error") and one_layer_works(make_optimizer, name, rng):
            fail(f"{exc}\n  With one layer the same steps run: the optimiser keeps state that layers of different "
                 "shapes share (one velocity, or one array, for all). Keep it per parameter.", ctx, "shared-state")
        raise


def sgd_steps(SGD, rng, lr=0.05, steps=3):
    """Several steps; between them, new gradient arrays and new parameter arrays."""
    model = toy_model(rng)
    def make():
        return SGD(lr)

    optimizer = call("SGD(...)", SGD, lr)
    first = None
    for step in range(steps):
        before, grads = parameters(model), [[np.array(layer.dW), np.array(layer.db)] for layer in model.layers]
        first = first or grads
        ctx = f"SGD({lr}), step {step + 1} of {steps}, layers of shapes {[layer.W.shape for layer in model.layers]}"
        step_or_explain("SGD", make, optimizer, model, np.random.default_rng(1), ctx)
        expected = [[p - lr * g for p, g in zip(ps, gs, strict=True)] for ps, gs in zip(before, grads, strict=True)]

        def probes(i, k, before=before, grads=grads, step=step, first=first):
            p, g = before[i][k], grads[i][k]
            found = [Probe("stale-references", "It did not change at this step, though it did at the first: the "
                                               "optimiser updates the arrays it saw first, and the layer now holds "
                                               "new ones. Read layer.W, layer.dW (and b, db) at every step.", p),
                     Probe("stale-references", "It used the gradient of the first step: the optimiser keeps the "
                                               "arrays it saw first. Read layer.dW and layer.db at every step.",
                           p - lr * first[i][k])] if step else []
            return found + [
                Probe("sgd.uphill", "It moved up the gradient (p + lr * grad): descent subtracts.", p + lr * g),
                Probe("sgd.bias-not-updated" if k else "sgd.no-update",
                      "It did not change: update the layer's own arrays (or assign the new ones).", p)]

        expect_updates(model, before, expected, ctx, probes,
                       {"the learning rate": (lr, "sgd.lr-ignored")})
        new_gradients(model, rng)
        replace_parameters(model)


MOMENTUM_MISTAKES = {
    # identifier: (cause, velocity update (v, grad, first grad) -> v, sign of the parameter update)
    "momentum.no-velocity": ("It equals plain SGD: the velocity is not carried from one step to the next "
                             "(keep one per parameter on self).", lambda v, g, g1, lr, beta: -lr * g, 1),
    "momentum.uphill": ("It moved up the gradient: the velocity must subtract lr * grad.",
                        lambda v, g, g1, lr, beta: beta * v - lr * g, -1),
    "momentum.wrong-coefficients": ("It equals v = lr * v - beta * grad: beta and the learning rate are swapped.",
                                    lambda v, g, g1, lr, beta: lr * v - beta * g, 1),
    "stale-references": ("It used the first step's gradient again: read layer.dW and layer.db at every step.",
                         lambda v, g, g1, lr, beta: beta * v - lr * g1, 1),
}


def momentum_steps(SGDMomentum, rng, lr=0.1, beta=0.9, steps=3):
    """v = beta * v - lr * grad; p = p + v, per parameter, over steps with new gradient and parameter arrays.

    Each known mistake is simulated alongside from the same start; the student's parameters are
    compared with the right ones, then with each simulation (a probe).
    """
    model = toy_model(rng)
    def make():
        return SGDMomentum(lr, beta)

    optimizer = call("SGDMomentum(...)", SGDMomentum, lr, beta)
    zeros = [[np.zeros(layer.W.shape), np.zeros(layer.b.shape)] for layer in model.layers]
    right = {"params": parameters(model), "v": [list(z) for z in zeros]}
    simulated = {name: {"params": parameters(model), "v": [list(z) for z in zeros]} for name in MOMENTUM_MISTAKES}
    shared = {"params": parameters(model), "v": {}}  # one velocity per shape: layers of the same shape share it
    first = None
    for step in range(steps):
        before, grads = parameters(model), [[np.array(layer.dW), np.array(layer.db)] for layer in model.layers]
        first = first or grads
        for i in range(len(model.layers)):
            for k in range(2):
                g, g1 = grads[i][k], first[i][k]
                right["v"][i][k] = beta * right["v"][i][k] - lr * g
                right["params"][i][k] = right["params"][i][k] + right["v"][i][k]
                for name, (_, update, sign) in MOMENTUM_MISTAKES.items():
                    run = simulated[name]
                    run["v"][i][k] = update(run["v"][i][k], g, g1, lr, beta)
                    run["params"][i][k] = run["params"][i][k] + sign * run["v"][i][k]
                key = (k, g.shape)
                shared["v"][key] = beta * shared["v"].get(key, 0) - lr * g
                shared["params"][i][k] = shared["params"][i][k] + shared["v"][key]
        ctx = (f"SGDMomentum({lr}, {beta}), step {step + 1} of {steps}, layers of shapes "
               f"{[layer.W.shape for layer in model.layers]}")
        step_or_explain("SGDMomentum", make, optimizer, model, np.random.default_rng(1), ctx)

        def probes(i, k, step=step, before=before):
            found = [Probe("stale-references", "It did not change at this step, though it did at the first: the "
                                               "optimiser updates the arrays it saw first, and the layer now holds "
                                               "new ones. Read layer.W, layer.dW (and b, db) at every step.",
                           before[i][k])] if step else []
            found += [Probe(name, cause, simulated[name]["params"][i][k])
                      for name, (cause, _, _) in MOMENTUM_MISTAKES.items() if step or name != "stale-references"]
            found.append(Probe("shared-state", "It equals one velocity shared by the layers of the same shape: "
                                               "keep a velocity per parameter (each layer's W and b apart).",
                               shared["params"][i][k]))
            return found

        expect_updates(model, before, right["params"], ctx, probes,
                       {"the learning rate": (lr, "momentum.wrong-coefficients"),
                        "beta": (beta, "momentum.wrong-coefficients"),
                        "1 - beta": (round(1 - beta, 12), "momentum.wrong-coefficients")})
        new_gradients(model, rng)
        replace_parameters(model)
