"""CrossEntropyLoss.backward builds the one-hot vector from the predicted class (argmax of probs) instead of the true targets.

property: loss.backward-quantity
accept: loss.grad-wrong-class
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        self.cache["probs"] = probs
        batch = np.arange(len(targets))
        return float(-np.mean(np.log(np.clip(probs[batch, targets], self.epsilon, 1 - self.epsilon))))

    def backward(self):
        probs = self.cache["probs"]
        predicted = probs.argmax(axis=1)
        one_hot = np.zeros_like(probs)
        one_hot[np.arange(len(probs)), predicted] = 1
        return probs - one_hot

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
