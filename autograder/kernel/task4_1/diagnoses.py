"""Every mistake Task 4.1's hidden tests can name: a stable identifier and a short title.

The checks attach the identifier to the AssertionError they raise (autograder.kernel.diagnosis);
the class report counts students per identifier (report/misconceptions.py).

Identifiers are stable: reports of earlier terms and tests/corpus/mutants.toml use them.
Rename a title freely; never reuse an identifier for another mistake.
"""
from autograder.kernel import diagnosis
from autograder.kernel.diagnosis import NOTE_PREFIX, UNNAMED  # noqa: F401 - the grader and the report read them here

TITLES = {
    **diagnosis.GENERIC,
    # any class
    "hard-coded-example": "passes the visible example only (values written for it)",
    "gradient-not-stored": "backward() does not store dW / db",
    "transposed": "a gradient or output with transposed shape",
    "wrong-shape": "an array of the wrong shape",
    "not-finite": "NaN or inf where a finite value is expected",
    "summed-over-batch": "a gradient summed over the batch instead of averaged",
    "batch-division-extra": "divided by the batch size once too often (dX averaged, or loss and Linear both)",
    "wrong-sign": "a gradient with the wrong sign",
    "scaled-by-constant": "right up to a constant factor (other than the batch size)",
    "mutates-input": "forward or backward changes an array the caller passed in",
    "state-leaks-between-calls": "a second call depends on the first (accumulated or stale cached values)",
    "stale-references": "the optimiser keeps using the arrays it saw first",
    "shared-state": "objects or parameters share state that should be their own",
    # Linear and initialisation
    "linear.bias-ignored": "Linear.forward ignores the bias",
    "linear.weights-orientation": "W stored or used as (out, in), the column-vector convention",
    "linear.db-wrong-axis": "db not averaged over the batch axis",
    "init.bias-not-zero": "biases do not start at zero",
    "init.zero-weights": "weights initialised to zero (symmetry never broken)",
    "init.wrong-scale": "weights not at the He scale sqrt(2 / in_features)",
    "init.not-centred": "initial weights not centred at zero",
    "init.symmetric": "initial weights repeat (neurons start equal)",
    # ReLU
    "relu.mask-only": "ReLU backward returns the mask, not mask * upstream gradient",
    "relu.mask-from-upstream": "ReLU backward masks with the upstream gradient's sign, not the input's",
    "relu.no-mask": "ReLU backward passes the gradient through unmasked",
    "relu.negative-inputs-pass": "ReLU lets negative inputs (or their gradients) through",
    "relu.mask-includes-zero": "ReLU backward passes the gradient where the input is exactly 0",
    # Softmax and cross-entropy
    "softmax.overflow": "softmax fails for large logits (exp overflows, or the logits are clipped or shifted wrongly)",
    "softmax.wrong-axis": "softmax normalised over the batch axis",
    "softmax.wrong-first": "the loss test cannot pass while Softmax is wrong",
    "softmax.rows-coupled": "a row's probabilities depend on the other rows of the batch",
    "loss.summed": "cross-entropy summed over the batch instead of averaged",
    "loss.no-minus-one": "loss backward returns probs without subtracting one_hot",
    "loss.mean-over-all-entries": "cross-entropy averaged over every entry of the (N, C) matrix",
    "loss.wrong-log-base": "cross-entropy with log2 or log10 instead of the natural log",
    "loss.grad-wrt-probs": "loss backward returns the derivative with respect to the probabilities",
    "loss.grad-averaged": "loss backward averaged over the batch (Linear averages)",
    "loss.grad-negated": "loss backward returns one_hot - probs",
    "loss.grad-wrong-class": "loss backward subtracts the one at the predicted class, not the true one",
    "loss.log-zero": "no clipping before log: log(0) = -inf",
    "loss.targets-misread": "the targets (class indices) read as one-hot rows or as row indices",
    "loss.clipped-too-hard": "probabilities clipped with a bound large enough to change ordinary predictions",
    "loss.too-small-when-wrong": "a certain, wrong prediction costs too little (clipped too hard?)",
    # MLP
    "mlp.layer-count": "the MLP has the wrong number of Linear layers",
    "mlp.returns-logits": "MLP.forward returns logits, not probabilities",
    "mlp.relu-on-output": "a ReLU after the output layer",
    "mlp.missing-relu": "no ReLU between the layers",
    "mlp.backward-order": "MLP.backward skips the ReLU backward between layers",
    "mlp.layer-gradient-wrong": "a hidden layer's gradient is wrong while the layers after it are right",
    # optimisers
    "sgd.uphill": "SGD adds the gradient (walks uphill)",
    "sgd.no-update": "SGD leaves the parameters unchanged",
    "sgd.lr-ignored": "SGD ignores the learning rate",
    "sgd.bias-not-updated": "SGD updates the weights but not the biases",
    "momentum.no-velocity": "momentum's velocity is not carried between steps",
    "momentum.uphill": "momentum moves the parameters up the gradient",
    "momentum.wrong-coefficients": "momentum with the learning rate and beta swapped",
    # MNIST
    "mnist.diverged": "training diverged (loss NaN or inf)",
    "mnist.not-learning": "the network stays at chance level while training",
    "mnist.below-target": "trains, but stays below 95% test accuracy",
}


def tag(exc, identifier):
    """``exc`` with a Task 4.1 diagnosis attached; ``None`` leaves the mistake unnamed."""
    return diagnosis.tag(exc, identifier, TITLES)


def title(identifier):
    return TITLES.get(identifier, "a mistake the checks could not name")


def of_exception(exc):
    """The Task 4.1 diagnosis attached to an exception, or None."""
    return diagnosis.of_exception(exc, TITLES)


def of_error_output(output):
    """The Task 4.1 diagnosis in a notebook's error output, or None."""
    return diagnosis.of_error_output(output, TITLES)
