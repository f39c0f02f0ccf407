"""CrossEntropyLoss avoids log(0) by counting a zero probability as log p = 0 (np.where) instead of clipping, so a certain wrong prediction costs nothing.

property: loss.clipping
accept: loss.too-small-when-wrong
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        self.cache["probs"] = probs
        self.cache["targets"] = targets
        p = probs[np.arange(len(targets)), targets]
        with np.errstate(divide="ignore"):
            logs = np.where(p > 0, np.log(p), 0.0)
        return float(-logs.mean())

    def backward(self):
        grad = self.cache["probs"].copy()
        grad[np.arange(len(grad)), self.cache["targets"]] -= 1
        return grad

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
