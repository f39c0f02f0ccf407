"""Softmax centres each row on its mean instead of subtracting its maximum, so a row with a large spread still overflows.

property: softmax.stability
accept: softmax.overflow, not-finite
"""
class Softmax:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        centred = Z - np.mean(Z, axis=1, keepdims=True)
        e = np.exp(centred)
        probs = e / np.sum(e, axis=1, keepdims=True)
        self.cache["probs"] = probs
        return probs

    def __call__(self, Z):
        return self.forward(Z)
