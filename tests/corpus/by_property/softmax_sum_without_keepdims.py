"""Softmax divides by the row sums without keepdims, so the (batch,) sums broadcast along the class axis: column j is divided by row j's sum.

property: softmax.axis
accept: softmax.rows-coupled
"""
class Softmax:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        z = Z - np.max(Z, axis=1, keepdims=True)
        numerator = np.exp(z)
        denominator = np.sum(numerator, axis=1)
        p = numerator / denominator
        self.cache["probs"] = p
        return p

    def __call__(self, Z):
        return self.forward(Z)
