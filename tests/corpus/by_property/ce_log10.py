"""CrossEntropyLoss.forward uses log base 10 (np.log10) instead of the natural log, so the loss is scaled by 1/ln(10) while backward still returns the natural-log gradient.

property: loss.value-scale
accept: loss.wrong-log-base
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        rows = np.arange(targets.shape[0])
        p_true = np.clip(probs[rows, targets], self.epsilon, 1 - self.epsilon)
        self.cache["probs"] = probs
        self.cache["targets"] = targets
        return float(np.mean(-np.log10(p_true)))

    def backward(self):
        probs, targets = self.cache["probs"], self.cache["targets"]
        d = probs.copy()
        d[np.arange(len(targets)), targets] -= 1
        return d

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
