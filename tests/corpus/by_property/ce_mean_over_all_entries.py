"""CrossEntropyLoss.forward takes np.mean of one_hot * log(probs) over the whole (batch, classes) matrix, dividing by batch * classes instead of batch.

property: loss.value-scale
accept: loss.mean-over-all-entries
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        n, c = probs.shape
        one_hot = np.zeros((n, c))
        one_hot[np.arange(n), targets] = 1
        p = np.clip(probs, self.epsilon, 1 - self.epsilon)
        self.cache["probs"] = probs
        self.cache["one_hot"] = one_hot
        return float(-np.mean(one_hot * np.log(p)))

    def backward(self):
        return self.cache["probs"] - self.cache["one_hot"]

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
