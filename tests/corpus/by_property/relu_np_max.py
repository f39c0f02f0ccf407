"""ReLU.forward calls np.max(Z, 0), which takes the maximum over axis 0, instead of the element-wise np.maximum(Z, 0).

property: relu.forward
accept: wrong-shape
"""
class ReLU:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        self.cache["mask"] = Z > 0
        return np.max(Z, 0)

    def backward(self, dA):
        return dA * self.cache["mask"]

    def __call__(self, Z):
        return self.forward(Z)
