"""The hidden tests of Task 4.1: the entry points the notebook's test cells call.

They live in the grader's installed package, not in the notebook or the files
released to students: a student cell cannot redefine them before grading, and
students never see the hidden tests' code (their feedback keeps only the
diagnosis, see nbgrader_ext/hide_hidden_test_traces.py).

Conventions checked (the course's, see the notebook):
  * ``Linear.backward(dZ)`` returns ``dX = dZ @ W.T`` and stores ``dW``, ``db``
    averaged over the batch;
  * ``CrossEntropyLoss.backward()`` returns ``probs - one_hot`` (not averaged);
  * so, after ``MLP.backward(probs - one_hot)``, every ``dW``/``db`` is the
    gradient of the *mean* cross-entropy.

Each test runs its class's properties (contract.py) on several probes. A failure says what was
measured and, when a probe confirmed its cause, carries the cause's identifier (diagnoses.py) for
the class report's misconception table. How student code is called: harness.py.
"""
import itertools
import time

import numpy as np

from autograder.kernel.harness import (  # noqa: F401 - the notebook, the grader and the tests use these names here
    CALL_SECONDS,
    HANG_FACTOR,
    HANG_MIN_SECONDS,
    STEP,
    TOLERANCE,
    GradingMachineBusy,
    StudentCodeTimeout,
    call,
    crash_diagnosis,
    numerical_gradient,
    precision_of,
    quiet,
    time_limit,
)
from autograder.kernel.measure import rel_error
from autograder.kernel.task4_1 import contract
from autograder.kernel.task4_1.contract import fail
from autograder.kernel.task4_1.diagnoses import tag

SEEDS = (0, 1, 2)

MNIST_LAYERS = [784, 256, 128, 10]
# One pass over 50,000 of the 60,000 training images (a random subset, fixed by the seed) in
# batches of 32; the learning rate for each of seven equal shares of it.  Higher rates would
# learn faster but kill a network whose bias gradient is summed over the batch, which the
# corpus expects to pass this test (it fails the gradient tests instead).
MNIST_IMAGES = 50_000
MNIST_SCHEDULE = (0.2, 0.2, 0.2, 0.2, 0.1, 0.05, 0.02)
MNIST_BATCH = 32
MNIST_PASS = 0.95
MNIST_TIME_LIMIT = 150.0            # CPU seconds of the kernel; the reference needs about 1
MNIST_EARLY_CHECK = 200             # steps after which a learning network is far above chance
MNIST_EARLY_PASS = 0.3              # the reference is at ~0.9 by then; chance is 0.1


# ------------------------------------------------------------------ Linear

def _linear_cases():
    # (batch, in_features, out_features): batch 1, square and non-square layers
    return [(7, 4, 4), (1, 5, 3), (4, 3, 6), (3, 6, 2)]  # square first: it tells W.T from W without a crash


def check_linear_gradients(Linear):
    """Forward, purity and backward against centred differences on a square layer first (it tells W.T from W
    without a crash); two calls in a row; then the other shapes."""
    for seed in SEEDS:
        for case, (n, d_in, d_out) in enumerate(_linear_cases()):
            rng = np.random.default_rng(seed)
            ctx = f"Linear({d_in}, {d_out}), batch {n}, seed {seed}"
            layer = contract.linear_parameter_shapes(Linear, d_in, d_out, ctx)
            layer.W = rng.standard_normal((d_in, d_out))
            layer.b = rng.standard_normal(d_out)
            X = rng.standard_normal((n, d_in))
            G = rng.standard_normal((n, d_out))
            contract.linear_forward(layer, X, ctx)
            contract.linear_backward(layer, X, G, ctx)
            if seed == SEEDS[0] and case == 0:  # later gradient checks call forward many times before backward
                contract.linear_state(Linear, np.random.default_rng(7), "Linear(4, 3), batch 5")


def check_he_init(Linear):
    """He init as a distribution: zero bias; weights centred, independent, std sqrt(2 / in_features)."""
    contract.init_distribution(Linear)


# -------------------------------------------------------------------- ReLU

def check_relu_gradients(ReLU):
    """State across calls first (centred differences call forward many times); then forward and backward
    against centred differences away from the kink, and the mask at 0."""
    contract.relu_state(ReLU, np.random.default_rng(8), "ReLU on shape (3, 5)")
    for seed in SEEDS:
        for shape in [(1, 6), (5, 3), (4, 7)]:
            rng = np.random.default_rng(seed)
            ctx = f"ReLU on shape {shape}, seed {seed}"
            relu = call("ReLU()", ReLU)
            # magnitudes >= 0.1 so no step of the centred differences crosses the kink
            Z = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
            G = rng.standard_normal(shape)
            A = contract.relu_forward(relu, Z, ctx)
            precision = precision_of(A)

            def loss(relu=relu, Z=Z, G=G):
                with quiet(), time_limit("ReLU.forward", (Z,)):
                    return np.sum(np.asarray(relu.forward(Z), dtype=np.float64) * G)

            numeric = numerical_gradient(loss, Z, STEP[precision])
            call("ReLU.forward", relu.forward, Z)
            contract.relu_backward(relu, Z, G, ctx, expected=numeric)
            with_zeros = contract.relu_probe_input(rng, shape)
            contract.relu_forward(relu, with_zeros, ctx + ", some inputs exactly 0")
            contract.relu_backward(relu, with_zeros, G, ctx + ", some inputs exactly 0")


# --------------------------------------------------- Softmax + cross-entropy

reference_softmax = contract.reference_softmax


def check_softmax_stability(Softmax):
    """Exact probabilities as logits grow to 1e5, rows independent of each other, inputs unchanged."""
    square = 3 * np.random.default_rng(9).standard_normal((4, 4))  # a wrong axis computes instead of crashing
    contract.softmax_values(Softmax, square, "a (4, 4) batch", rows_first=True)
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        contract.softmax_values(Softmax, 3 * rng.standard_normal((4, 10)), f"logits of magnitude ~3, seed {seed}")
        contract.softmax_values(Softmax, 3 * rng.standard_normal((3, 5)), f"a (3, 5) batch, seed {seed}")
        contract.softmax_stability(Softmax, rng)
        for offset in (1e3, -1e3):
            contract.softmax_values(Softmax, offset + 5 * rng.standard_normal((4, 10)),
                                    f"logits near {offset:+.0e}, seed {seed}")
    contract.softmax_values(Softmax, np.array([[1000.0, 0.0, -1000.0]]), "logits [1000, 0, -1000]")
    far_apart = np.array([[1000.0, 999.0, 0.0], [-1000.0, -999.0, -1001.0]])
    contract.softmax_rows_independent(Softmax, far_apart, "one batch with a row near +1000 and a row near -1000")
    contract.softmax_values(Softmax, far_apart, "one batch with a row near +1000 and a row near -1000")


def check_cross_entropy_gradients(Softmax, CrossEntropyLoss):
    """The loss's value and backward as the contract says; d(mean loss)/d(logits) by centred differences."""
    for seed in SEEDS:
        for n, c in [(1, 3), (5, 4), (8, 10)]:
            rng = np.random.default_rng(seed)
            ctx = f"batch {n}, {c} classes, seed {seed}"
            logits = rng.standard_normal((n, c))
            targets = rng.integers(0, c, size=n)
            if n > 1:
                targets[0] = (np.argmax(logits[0]) + 1) % c  # a sample whose prediction is wrong
            probs = reference_softmax(logits)
            loss_fn = call("CrossEntropyLoss()", CrossEntropyLoss)
            contract.loss_value(loss_fn, probs.copy(), targets, ctx)
            contract.loss_backward(loss_fn, probs.copy(), targets, ctx)

            softmax, loss_fn = call("Softmax()", Softmax), call("CrossEntropyLoss()", CrossEntropyLoss)
            got_probs = call("Softmax.forward", softmax.forward, logits)
            if np.shape(got_probs) != probs.shape or rel_error(got_probs, probs) > 1e-3:
                fail("this check runs your Softmax and CrossEntropyLoss together, and Softmax.forward "
                     "is wrong here: the softmax tests say how.", ctx, "softmax.wrong-first")

            def loss(loss_fn=loss_fn, softmax=softmax, logits=logits, targets=targets):
                with quiet(), time_limit("Softmax.forward and CrossEntropyLoss.forward", (logits,)):
                    return loss_fn.forward(softmax.forward(logits), targets)

            call("CrossEntropyLoss.forward", loss)
            grad = call("CrossEntropyLoss.backward", loss_fn.backward)
            precision = precision_of(grad) if grad is not None else np.dtype(np.float64)
            expected = numerical_gradient(loss, logits, STEP[precision]) * n
            contract.expect("CrossEntropyLoss.backward() after Softmax.forward", grad, expected,
                            TOLERANCE[precision], ctx, {"the batch size": n, "the number of classes": c})


def check_confident_wrong(CrossEntropyLoss):
    """A confident wrong prediction gives a large but finite loss and gradient."""
    contract.loss_confident_wrong(CrossEntropyLoss)


# --------------------------------------------------------------------- MLP

def check_mlp_gradients(MLP):
    """Structure, forward, then every layer's dW and db from the output back, against centred differences."""
    for seed in SEEDS:
        for sizes, n in [([6, 5, 4, 3], 4), ([4, 3], 1), ([5, 7, 3], 3)]:
            rng = np.random.default_rng(seed)
            ctx = f"MLP({sizes}), batch {n}, seed {seed}"
            model, layers = contract.mlp_structure(MLP, sizes, ctx)
            # fresh float64 parameters: this test is about forward and backward, not initialisation
            for i, layer in enumerate(layers):
                layer.W = rng.standard_normal((sizes[i], sizes[i + 1])) / np.sqrt(sizes[i])
                layer.b = 0.1 * rng.standard_normal(sizes[i + 1])
            X = rng.standard_normal((n, sizes[0]))
            targets = rng.integers(0, sizes[-1], size=n)
            probs = contract.mlp_forward(model, layers, X, ctx)
            contract.mlp_gradients(model, layers, X, targets, probs, ctx)


# -------------------------------------------------------------- optimisers

def _toy_model(rng):
    return contract.toy_model(rng, shapes=((3, 4), (4, 2)))


def check_sgd_step(SGD):
    """Several steps, each exactly W - lr * dW and b - lr * db, with new arrays between steps."""
    for seed in SEEDS:
        contract.sgd_steps(SGD, np.random.default_rng(seed))


def check_momentum_steps(SGDMomentum):
    """Three steps of v = beta*v - lr*grad; p = p + v, with new gradients and per-parameter velocities."""
    for seed in SEEDS:
        contract.momentum_steps(SGDMomentum, np.random.default_rng(seed))


# ------------------------------------ visible examples, repeated on other inputs

# Run in the hidden part of each visible test cell, after its fixed example passed, so
# that returning the example's expected numbers does not earn the visible point.
HARD_CODED = ("passes the visible example but not the same check on other inputs: compute it from "
              "the inputs instead of writing values for the example.")


def _same(name, got, expected, ctx):
    got = None if got is None else np.asarray(got, dtype=np.float64)
    if got is None or got.shape != expected.shape or not np.allclose(got, expected, rtol=1e-4, atol=1e-6):
        fail(f"{name} {HARD_CODED}", ctx, "hard-coded-example")


def check_linear_example_generalises(Linear):
    rng = np.random.default_rng(101)
    n, d_in, d_out = 3, 4, 5
    layer = call("Linear(...)", Linear, d_in, d_out)
    if np.asarray(layer.W).shape != (d_in, d_out) or np.asarray(layer.b).shape != (d_out,):
        fail(f"Linear({d_in}, {d_out}) {HARD_CODED}", "shapes of W and b", "hard-coded-example")
    layer.W, layer.b = rng.standard_normal((d_in, d_out)), rng.standard_normal(d_out)
    X, dZ = rng.standard_normal((n, d_in)), rng.standard_normal((n, d_out))
    ctx = f"Linear({d_in}, {d_out}), batch {n}, random values"
    _same("forward", call("Linear.forward", layer.forward, X), X @ layer.W + layer.b, ctx)
    _same("backward (dX)", call("Linear.backward", layer.backward, dZ), dZ @ layer.W.T, ctx)
    _same("dW", layer.dW, X.T @ dZ / n, ctx)
    _same("db", layer.db, dZ.mean(axis=0), ctx)


def check_relu_example_generalises(ReLU):
    rng = np.random.default_rng(102)
    Z = rng.uniform(0.1, 2.0, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    dA = rng.standard_normal((3, 4))
    relu = call("ReLU()", ReLU)
    ctx = "ReLU on a random (3, 4) input"
    _same("forward", call("ReLU.forward", relu.forward, Z), np.maximum(Z, 0), ctx)
    _same("backward", call("ReLU.backward", relu.backward, dA), dA * (Z > 0), ctx)


def check_softmax_example_generalises(Softmax):
    logits = np.random.default_rng(103).standard_normal((4, 6)) * 3
    _same("softmax", call("Softmax.forward", Softmax().forward, logits), reference_softmax(logits),
          "random (4, 6) logits")


def check_cross_entropy_example_generalises(CrossEntropyLoss):
    rng = np.random.default_rng(104)
    probs = rng.uniform(0.05, 1.0, (4, 5))
    probs /= probs.sum(axis=1, keepdims=True)
    targets = rng.integers(0, 5, 4)
    loss_fn = call("CrossEntropyLoss()", CrossEntropyLoss)
    ctx = "random (4, 5) probabilities"
    _same("loss", call("CrossEntropyLoss.forward", loss_fn.forward, probs, targets),
          np.asarray(-np.mean(np.log(probs[np.arange(4), targets]))), ctx)
    _same("backward", call("CrossEntropyLoss.backward", loss_fn.backward), probs - np.eye(5)[targets], ctx)


def check_mlp_example_generalises(MLP):
    sizes, X = [6, 5, 4], np.random.default_rng(105).standard_normal((3, 6))
    model = call("MLP(...)", MLP, list(sizes))
    ctx = f"MLP({sizes})"
    if len(model.layers) != 2:
        fail(f"model.layers {HARD_CODED}", ctx, "hard-coded-example")
    _same("count_parameters()", call("MLP.count_parameters", model.count_parameters), np.asarray(59), ctx)
    probs = np.asarray(call("MLP.forward", model.forward, X), dtype=np.float64)
    _same("forward (rows summing to 1)", probs.sum(axis=1) if probs.ndim == 2 else None, np.ones(3), ctx)
    _same("predict", call("MLP.predict", model.predict, X), probs.argmax(axis=1), ctx)


def check_sgd_example_generalises(SGD):
    model = _toy_model(np.random.default_rng(106))
    expected = [(layer.W - 0.3 * layer.dW, layer.b - 0.3 * layer.db) for layer in model.layers]
    call("SGD.step", call("SGD(...)", SGD, 0.3).step, model)
    for i, (layer, (W, b)) in enumerate(zip(model.layers, expected, strict=True)):
        _same(f"layers[{i}].W after a step", layer.W, W, "SGD(0.3) on random layers")
        _same(f"layers[{i}].b after a step", layer.b, b, "SGD(0.3) on random layers")


def check_momentum_example_generalises(SGDMomentum):
    model = _toy_model(np.random.default_rng(107))
    lr, beta = 0.2, 0.5
    expected = [(layer.W - lr * layer.dW * (2 + beta), layer.b - lr * layer.db * (2 + beta)) for layer in model.layers]
    optimizer = call("SGDMomentum(...)", SGDMomentum, lr, beta)
    for _ in range(2):  # same gradients twice: p - lr*g - (beta*lr*g + lr*g)
        call("SGDMomentum.step", optimizer.step, model)
    for i, (layer, (W, b)) in enumerate(zip(model.layers, expected, strict=True)):
        _same(f"layers[{i}].W after two steps", layer.W, W, f"SGDMomentum({lr}, {beta}) on random layers")
        _same(f"layers[{i}].b after two steps", layer.b, b, f"SGDMomentum({lr}, {beta}) on random layers")


# ------------------------------------------------------------------- MNIST

def accuracy_from_weights(layers, X, y, batch_size=2048):
    """Accuracy of a ReLU MLP computed from its weights alone (not the student's predict)."""
    correct = 0
    for start in range(0, len(X), batch_size):
        h = X[start:start + batch_size].astype(np.float64)
        for i, layer in enumerate(layers):
            h = h @ np.asarray(layer.W, dtype=np.float64) + np.asarray(layer.b, dtype=np.float64)
            if i < len(layers) - 1:
                h = np.maximum(h, 0)
        correct += int(np.sum(np.argmax(h, axis=1) == y[start:start + batch_size]))
    return correct / len(X)


def train_and_score_mnist(MLP, CrossEntropyLoss, SGD, data, seed=0):
    """Train a fresh MLP from the student's classes with a fixed budget; return (accuracy, seconds)."""
    X_train, y_train, X_test, y_test = data
    np.random.seed(seed)
    model = call("MLP(...)", MLP, list(MNIST_LAYERS))
    loss_fn = call("CrossEntropyLoss()", CrossEntropyLoss)
    rng = np.random.default_rng(seed)
    start, step, fastest_step = time.process_time(), 0, float("inf")
    order = rng.permutation(len(X_train))[:MNIST_IMAGES]
    batch_starts = range(0, len(order), MNIST_BATCH)
    shares = np.array_split(np.arange(len(batch_starts)), len(MNIST_SCHEDULE))
    with quiet(), time_limit("SGD(...)") as watch:  # each step gets the whole limit
        for share, lr in zip(shares, MNIST_SCHEDULE, strict=True):
            watch.restart("SGD(...)", lr)
            optimizer = call("SGD(...)", SGD, lr)
            for batch_start in (batch_starts[i] for i in share):
                idx = order[batch_start:batch_start + MNIST_BATCH]
                X_batch, y_batch = X_train[idx], y_train[idx]
                watch.restart("MLP.forward", X_batch)
                step_start = time.process_time()
                probs = model.forward(X_batch)
                watch.now("CrossEntropyLoss.forward", probs)
                loss = loss_fn.forward(probs, y_batch)
                watch.now("CrossEntropyLoss.backward")
                upstream = loss_fn.backward()
                watch.now("MLP.backward", upstream)
                model.backward(upstream)
                watch.now("SGD.step")
                optimizer.step(model)
                watch.now("the test's loss and accuracy checks")
                fastest_step = min(fastest_step, time.process_time() - step_start)
                step += 1
                if not np.isfinite(loss):
                    fail(f"the training loss became {loss} at step {step} (learning rate {lr}): training "
                         "diverged.\n  The tests of the classes above measure each one; a failing one is the "
                         "place to start.", diagnosis="mnist.diverged")
                if step == MNIST_EARLY_CHECK and accuracy_from_weights(
                        model.layers, X_test[:2000], y_test[:2000]) < MNIST_EARLY_PASS:
                    fail(f"after {step} steps the network is at chance level on test digits (below "
                         f"{MNIST_EARLY_PASS:.0%}; the reference is at about 90%): it is not learning.\n  The tests of "
                         "the classes above measure each one; a failing one is the place to start.",
                         diagnosis="mnist.not-learning")
                if time.process_time() - start > MNIST_TIME_LIMIT:
                    fail(training_too_slow(time.process_time() - start, step, len(order), fastest_step),
                         diagnosis="too-slow")
    seconds = time.process_time() - start
    return accuracy_from_weights(model.layers, X_test, y_test), seconds


def matrix_step_seconds(rounds=5, steps=4):
    """CPU seconds of one training step done with matrix operations only, measured here and now.

    The fastest round of ``steps`` steps, per step: other work on the machine only ever adds time (BLAS
    threads that wait for a core spin and count as CPU time), so the fastest round is the step's own cost.
    """
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((a, b)) * 0.05 for a, b in itertools.pairwise(MNIST_LAYERS)]
    X = rng.standard_normal((MNIST_BATCH, MNIST_LAYERS[0]))
    fastest = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(steps):
            hs = [X]
            for W in weights:
                hs.append(np.maximum(hs[-1] @ W, 0))
            grad = hs[-1]
            for W, h in zip(reversed(weights), reversed(hs[:-1]), strict=True):
                W -= 0.001 * (h.T @ grad)
                grad = (grad @ W.T) * (h > 0)
        fastest = min(fastest, time.process_time() - start)
    return max(fastest / steps, 1e-6)  # a coarse CPU clock can read 0 for a fast round


# Steps to time before a slow step is called slow: the first ones pay for warming up.
MIN_TIMED_STEPS = 3


def training_too_slow(cpu, steps, samples, fastest_step):
    """What was measured when training used its CPU budget; a cause only when the measurement shows it.

    Both sides are the fastest of several measurements (a busy machine only adds time): the student's
    fastest training step and the fastest matrix-only step, measured here and now.
    """
    said = (f"training used its {MNIST_TIME_LIMIT:g} s of CPU time and stopped at sample {steps * MNIST_BATCH:,} "
            f"of {samples:,} ({cpu / max(steps, 1) * 1000:.1f} ms of CPU per batch of {MNIST_BATCH}).")
    if steps < MIN_TIMED_STEPS:
        return said
    reference = matrix_step_seconds()
    if fastest_step > 10 * reference:  # a matrix-only step is ~1 ms, a loop over 32 samples ~50 ms
        said += (f" Your fastest step took {fastest_step * 1000:.1f} ms; one done with matrix operations takes "
                 f"{reference * 1000:.1f} ms on this machine, {fastest_step / reference:.0f} times less: look for "
                 "Python loops over the samples of a batch and replace them with matrix operations.")
    return said


def check_mnist_accuracy(MLP, CrossEntropyLoss, SGD, data):
    try:
        accuracy, seconds = train_and_score_mnist(MLP, CrossEntropyLoss, SGD, data)
    except AssertionError:
        raise
    except Exception as exc:
        raise tag(AssertionError(f"training crashed with {type(exc).__name__}: {exc}"),
                  crash_diagnosis(exc)) from exc
    print(f"MNIST: test accuracy {accuracy:.2%} after one pass over {min(MNIST_IMAGES, len(data[0])):,} images "
          f"({seconds:.1f} s of CPU time training); pass mark {MNIST_PASS:.0%}.")
    if not accuracy >= MNIST_PASS:
        fail(f"test accuracy {accuracy:.2%} is below {MNIST_PASS:.0%}. With correct classes this "
             "budget reaches about 97%.\n  The tests of the classes above measure each one; a failing one is "
             "the place to start.", diagnosis="mnist.below-target")
