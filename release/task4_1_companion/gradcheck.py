"""A gradient checker: compare the gradients your backward() computes with numerical ones.

    from gradcheck import check_layer, check_loss, check_model

    check_layer(Linear(3, 4), np.random.randn(5, 3))     # dX, dW, db of one layer
    check_layer(ReLU(), np.random.randn(5, 3))           # dX only (no parameters)
    check_loss(Softmax(), CrossEntropyLoss(), logits, targets)
    check_model(MLP([6, 5, 4, 3]), X, targets)           # every layer's dW, db

Each prints a short table (what, shape, relative error, ok) and returns True when every
gradient agrees.  The idea: for a scalar function f, nudging one input entry by +h and
-h gives the slope (f(x+h) - f(x-h)) / 2h, the *centred difference*, accurate to about
h**2.  Doing that for every entry is slow but needs no calculus, so it is the referee for
the fast analytic gradient that backward() computes.

The course's conventions are built in: Linear.backward returns dX = dZ @ W.T for the whole
batch but stores dW and db averaged over the batch; CrossEntropyLoss.backward() returns
probs - one_hot (not averaged).  So the checker compares dW and db with the numerical
gradient divided by the batch size, and the loss gradient with the numerical gradient of
the mean loss times the batch size.
"""
import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_layer", "check_loss", "check_model"]

# Centred differences in float64 agree with a correct gradient to ~1e-9; code that computes in
# float32 is checked with larger steps and a looser tolerance.
STEP = {np.float64: 1e-6, np.float32: 1e-3}
TOLERANCE = {np.float64: 1e-5, np.float32: 2e-2}  # as the hidden tests
KINK_MARGIN = 0.02  # a float32 step of 1e-3 moves a ReLU input by a few 1e-3 at most


def relative_error(a, b):
    """Norm-wise relative error ||a - b|| / (||a|| + ||b||); 0 when both are zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return np.inf
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def numerical_gradient(f, x, step=1e-6):
    """d f() / d x by centred differences; ``x`` (a float array) is nudged in place and restored."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + step
        f_plus = float(f())
        x[index] = original - step
        f_minus = float(f())
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * step)
    return grad


def _precision(array):
    """float64 if the checked code computes in float64, else float32 (larger steps, looser tolerance)."""
    return np.float64 if np.asarray(array).dtype == np.float64 else np.float32


class _Report:
    """Rows of (what, shape, relative error, ok), printed as a table, and what a wrong one suggests."""

    def __init__(self, title, tolerance, batch):
        self.title, self.tolerance, self.batch, self.rows, self.hints = title, tolerance, batch, [], []

    def add(self, what, analytic, numerical):
        if analytic is None:
            self.rows.append((what, "missing", np.inf, False))
            self.hints.append(f"{what} was never set: backward() must store it")
            return
        analytic = np.asarray(analytic)
        error = relative_error(analytic, numerical)
        shape = str(analytic.shape) if analytic.shape == numerical.shape else \
            f"{analytic.shape}, expected {numerical.shape}"
        self.rows.append((what, shape, error, bool(error <= self.tolerance)))
        if error > self.tolerance and analytic.shape == numerical.shape:
            hint = _scale_hint(what, analytic, numerical, self.batch, self.tolerance)
            if hint:
                self.hints.append(hint)

    def finish(self, verbose):
        ok = all(row[3] for row in self.rows)
        if verbose:
            print(f"{self.title} (tolerance {self.tolerance:.0e})")
            print(f"  {'what':<12} {'shape':<22} {'rel. error':>10}")
            for what, shape, error, good in self.rows:
                print(f"  {what:<12} {shape:<22} {error:>10.1e}  {'ok' if good else 'NOT OK'}")
            for hint in self.hints:
                print(f"  -> {hint}")
        return ok


def _scale_hint(what, analytic, numerical, batch, tolerance):
    """What a wrong gradient that is a multiple of the right one suggests (batch size, sign), or None."""
    norm = float(np.sum(numerical * numerical))
    if norm == 0:
        return None
    scale = float(np.sum(analytic * numerical)) / norm
    if scale == 0 or relative_error(analytic, scale * numerical) > max(tolerance, 1e-3):
        return None  # not a multiple of the right gradient
    if batch > 1 and abs(scale - batch) < 0.02 * batch:
        return f"{what} is {batch} (the batch size) times the right value: summed over the batch instead of averaged?"
    if batch > 1 and abs(scale * batch - 1) < 0.02:
        return f"{what} is the right value divided by {batch} (the batch size): divided where the convention does not?"
    if abs(scale + 1) < 0.02:
        return f"{what} has the right size and the wrong sign"
    return f"{what} is {scale:.3g} times the right value"


def _fresh_parameters(layers, rng, X=None):
    """Give each layer float64 W and b from ``rng`` (He scale): the check is then about backward() alone,
    the same whatever the layer's initialisation or dtype, and the same every time it runs.

    With ``X``, the layers are taken as Linear -> ReLU -> ... -> Linear and parameters are drawn again
    until no ReLU input lies within KINK_MARGIN of 0: a nudge across the kink makes the centred
    difference wrong although backward() is right.
    """
    for _ in range(100):
        for layer in layers:
            fan_in, fan_out = np.shape(layer.W)
            layer.W = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            layer.b = 0.1 * rng.standard_normal(fan_out)
        if X is None:
            return
        h, closest = X, np.inf
        for layer in layers[:-1]:
            h = h @ layer.W + layer.b
            closest = min(closest, float(np.min(np.abs(h))))
            h = np.maximum(h, 0)
        if closest > KINK_MARGIN:
            return


class _Raised(Exception):
    """Student code raised: reported as a table row, not a traceback from inside the checker."""


SHAPE_HINT = ("a shape mismatch: print the shapes of the arrays on that line (X, W, dZ, ...) and compare them "
              "with the docstring; in an MLP, one Linear or ReLU object used in two places is a common cause "
              "(each layer caches the last input it saw)")


def _call(what, fn, *args):
    try:
        return fn(*args)
    except Exception as exc:
        hint = f" ({SHAPE_HINT})" if isinstance(exc, ValueError) and any(
            word in str(exc) for word in ("broadcast", "matmul", "shapes", "aligned")) else ""
        raise _Raised(f"{what} raised {type(exc).__name__}: {exc}{hint}") from exc


def _checked(title, body, verbose):
    """Run ``body()`` (which returns a _Report) and print it; a crash of the checked code is a NOT OK line."""
    try:
        return body().finish(verbose)
    except _Raised as exc:
        if verbose:
            print(f"{title}\n  NOT OK: {exc}")
        return False


def check_layer(layer, X, seed=0, verbose=True):
    """Check layer.backward against centred differences of sum(layer.forward(X) * G), G random.

    With that loss the upstream gradient dZ is G, so backward(G) must return dL/dX; a layer
    with parameters W and b must also store dW and db, the batch averages of dL/dW, dL/db.
    W and b are replaced by float64 values drawn from ``seed`` first.
    """
    X = np.array(X, dtype=np.float64)
    rng = np.random.default_rng(seed)
    parameters = [name for name in ("W", "b") if hasattr(layer, name)]
    title = f"{type(layer).__name__} on a {X.shape} input"

    def body():
        if parameters:
            _fresh_parameters([layer], rng)
        out = _call("forward", layer.forward, X)
        precision = _precision(out)
        G = rng.standard_normal(np.shape(out))
        dX = _call("backward", layer.backward, G)

        def loss():
            return np.sum(np.asarray(_call("forward", layer.forward, X), dtype=np.float64) * G)

        report = _Report(title, TOLERANCE[precision], len(X))
        report.add("dX", dX, numerical_gradient(loss, X, STEP[precision]))
        for name in parameters:
            numerical = numerical_gradient(loss, getattr(layer, name), STEP[precision]) / len(X)
            report.add(f"d{name} (mean)", getattr(layer, "d" + name, None), numerical)
        return report

    return _checked(title, body, verbose)


def check_loss(softmax, loss_fn, logits, targets, verbose=True):
    """Check loss_fn.backward() == n * d(mean loss)/d(logits), the loss taken of softmax.forward(logits)."""
    logits = np.array(logits, dtype=np.float64)
    targets = np.asarray(targets)
    title = f"Softmax + {type(loss_fn).__name__} on {logits.shape} logits"

    def body():
        def loss():
            probs = _call("Softmax.forward", softmax.forward, logits)
            return _call("forward", loss_fn.forward, probs, targets)

        loss()
        analytic = _call("backward", loss_fn.backward)
        precision = _precision(analytic) if analytic is not None else np.float64
        numerical = numerical_gradient(loss, logits, STEP[precision]) * len(logits)
        report = _Report(title, TOLERANCE[precision], len(logits))
        report.add("dlogits", analytic, numerical)
        return report

    return _checked(title, body, verbose)


def check_model(model, X, targets, seed=0, verbose=True):
    """Check every layer's dW, db after model.backward(probs - one_hot) against the mean cross-entropy.

    Each layer's W and b are replaced by float64 values drawn from ``seed`` first, none putting a
    ReLU input next to the kink.
    """
    X = np.array(X, dtype=np.float64)
    targets = np.asarray(targets)
    rows = np.arange(len(targets))
    title = f"{type(model).__name__} on a {X.shape} input"

    def body():
        _fresh_parameters(model.layers, np.random.default_rng(seed), X)
        probs = np.asarray(_call("forward", model.forward, X))
        precision = _precision(probs)
        upstream = probs.astype(np.float64)
        upstream[rows, targets] -= 1
        _call("backward", model.backward, upstream)

        def loss():
            picked = np.asarray(_call("forward", model.forward, X), dtype=np.float64)[rows, targets]
            return -np.mean(np.log(np.clip(picked, 1e-300, None)))

        report = _Report(title, TOLERANCE[precision], len(X))
        for i, layer in enumerate(model.layers):
            for name in ("W", "b"):
                numerical = numerical_gradient(loss, getattr(layer, name), STEP[precision])
                report.add(f"layers[{i}].d{name}", getattr(layer, "d" + name, None), numerical)
        return report

    return _checked(title, body, verbose)
