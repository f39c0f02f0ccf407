"""SGDMomentum keeps a single velocity pair (vW, vb) for the whole model, so each layer's update starts from the previous layer's velocity.

property: momentum.per-parameter-state
accept: shared-state
"""
class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr = learning_rate
        self.momentum = momentum
        self.velocities = None
        self.vW = 0.0
        self.vb = 0.0

    def step(self, model):
        for layer in model.layers:
            self.vW = self.momentum * self.vW - self.lr * layer.dW
            self.vb = self.momentum * self.vb - self.lr * layer.db
            layer.W = layer.W + self.vW
            layer.b = layer.b + self.vb
