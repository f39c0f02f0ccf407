"""ReLU keeps its cache in a class attribute (a dict declared in the class body), so every ReLU object shares one cache and the last forward overwrites the others' inputs.

property: relu.state
accept: shared-state
"""
class ReLU:
    cache = {}

    def forward(self, Z):
        self.cache["Z"] = Z
        return np.maximum(Z, 0)

    def backward(self, dA):
        return dA * (self.cache["Z"] > 0)

    def __call__(self, Z):
        return self.forward(Z)
