"""CrossEntropyLoss clips the true-class probability to [0.1, 0.9] "to keep the loss stable", which caps the loss of a certain wrong prediction at -log(0.1) and changes confident correct ones too.

property: loss.clipping
accept: loss.too-small-when-wrong
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        n = len(targets)
        self.cache["probs"] = probs
        self.cache["targets"] = targets
        p = np.clip(probs[range(n), targets], 0.1, 0.9)
        return float(-np.sum(np.log(p)) / n)

    def backward(self):
        probs, targets = self.cache["probs"], self.cache["targets"]
        grad = probs.copy()
        grad[range(len(targets)), targets] -= 1
        return grad

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
