"""ReLU.forward zeroes the negative entries of the caller's array in place and returns it, changing the input it was given.

property: relu.purity
accept: mutates-input
"""
class ReLU:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        negative = Z < 0
        self.cache["dead"] = Z <= 0
        Z[negative] = 0  # no copy needed
        return Z

    def backward(self, dA):
        grad = dA.copy()
        grad[self.cache["dead"]] = 0
        return grad

    def __call__(self, Z):
        return self.forward(Z)
