"""ReLU appends a mask at every forward and backward pops the oldest, so a forward without a backward (predict, evaluation) leaves backward using an old input's mask.

property: relu.state
accept: state-leaks-between-calls
"""
class ReLU:
    def __init__(self):
        self.cache = {"masks": []}

    def forward(self, Z):
        self.cache["masks"].append(Z > 0)
        return np.maximum(Z, 0)

    def backward(self, dA):
        mask = self.cache["masks"].pop(0)
        return dA * mask

    def __call__(self, Z):
        return self.forward(Z)
