"""Softmax works on the transposed logits (one column per sample, as in a column-vector course) and returns them without transposing back, shape (classes, batch).

property: softmax.axis
accept: transposed, wrong-shape
"""
class Softmax:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        A = Z.T  # classes along axis 0, one column per example
        A = A - A.max(axis=0, keepdims=True)
        expA = np.exp(A)
        probs = expA / expA.sum(axis=0, keepdims=True)
        self.cache["probs"] = probs
        return probs

    def __call__(self, Z):
        return self.forward(Z)
