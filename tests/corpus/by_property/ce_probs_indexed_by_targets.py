"""CrossEntropyLoss indexes probs[targets] without a row index, which selects whole rows of the batch instead of each sample's true-class probability.

property: loss.targets
accept: loss.targets-misread
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        self.cache["probs"] = probs
        self.cache["targets"] = targets
        correct = np.clip(probs[targets], self.epsilon, 1 - self.epsilon)
        return float(-np.mean(np.log(correct)))

    def backward(self):
        probs = self.cache["probs"]
        targets = self.cache["targets"]
        out = probs.copy()
        out[np.arange(len(targets)), targets] -= 1
        return out

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
