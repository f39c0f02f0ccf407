"""ReLU.backward passes the gradient where Z >= 0, so an input of exactly 0 counts as active.

property: relu.backward-mask
accept: relu.mask-includes-zero
"""
class ReLU:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        self.cache["Z"] = Z
        return np.maximum(Z, 0)

    def backward(self, dA):
        Z = self.cache["Z"]
        dZ = np.zeros_like(dA)
        dZ[Z >= 0] = dA[Z >= 0]
        return dZ

    def __call__(self, Z):
        return self.forward(Z)
