"""CrossEntropyLoss.backward returns the derivative with respect to the probabilities, -one_hot / probs, instead of the gradient with respect to the logits, probs - one_hot.

property: loss.backward-quantity
accept: loss.grad-wrt-probs
"""
class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        idx = np.arange(len(targets))
        clipped = np.clip(probs, self.epsilon, 1 - self.epsilon)
        self.cache["clipped"] = clipped
        self.cache["targets"] = targets
        return float(-np.log(clipped[idx, targets]).mean())

    def backward(self):
        p = self.cache["clipped"]
        t = self.cache["targets"]
        y = np.eye(p.shape[1])[t]
        # d/dp of -sum y log p
        return -y / p

    def __call__(self, probs, targets):
        return self.forward(probs, targets)
