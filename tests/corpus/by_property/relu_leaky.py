"""ReLU lets negative inputs through with slope 0.01 (a leaky ReLU), in forward and backward.

property: relu.forward
accept: relu.negative-inputs-pass
"""
class ReLU:
    def __init__(self):
        self.cache = {}
        self.alpha = 0.01  # avoid dead neurons

    def forward(self, Z):
        self.cache["Z"] = Z
        return np.where(Z > 0, Z, self.alpha * Z)

    def backward(self, dA):
        Z = self.cache["Z"]
        return dA * np.where(Z > 0, 1.0, self.alpha)

    def __call__(self, Z):
        return self.forward(Z)
