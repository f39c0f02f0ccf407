"""ReLU.backward builds its mask from the forward output with >= 0, which holds everywhere, so the gradient passes unmasked.

property: relu.backward-mask
accept: relu.no-mask
"""
class ReLU:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        out = np.maximum(0, Z)
        self.cache["out"] = out
        return out

    def backward(self, dA):
        active = self.cache["out"] >= 0
        return dA * active

    def __call__(self, Z):
        return self.forward(Z)
