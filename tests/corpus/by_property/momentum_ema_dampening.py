"""SGDMomentum uses the exponential-average form v = momentum * v + (1 - momentum) * grad, p -= lr * v, which damps every gradient by (1 - momentum) instead of the course's v = momentum * v - lr * grad.

property: momentum.velocity
accept: momentum.wrong-coefficients
"""
class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr = learning_rate
        self.momentum = momentum
        self.velocities = None

    def step(self, model):
        beta = self.momentum
        if self.velocities is None:
            self.velocities = [(np.zeros_like(layer.W), np.zeros_like(layer.b)) for layer in model.layers]
        new = []
        for layer, (vW, vb) in zip(model.layers, self.velocities):
            vW = beta * vW + (1 - beta) * layer.dW   # running average of the gradients
            vb = beta * vb + (1 - beta) * layer.db
            layer.W -= self.lr * vW
            layer.b -= self.lr * vb
            new.append((vW, vb))
        self.velocities = new
