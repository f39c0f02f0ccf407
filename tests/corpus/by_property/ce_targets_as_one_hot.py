"""CrossEntropyLoss treats the integer targets as if they were already one-hot rows (targets * log(probs)) instead of class indices.

property: loss.targets
accept: loss.targets-misread
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        y = np.asarray(targets)
        p = np.clip(probs, self.epsilon, 1 - self.epsilon)
        self.cache["probs"] = probs
        self.cache["y"] = y
        return float(-np.mean(np.sum(y * np.log(p), axis=-1)))

    def backward(self):
        return self.cache["probs"] - self.cache["y"]

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
