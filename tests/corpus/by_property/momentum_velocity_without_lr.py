"""SGDMomentum accumulates v = momentum * v + grad and then subtracts v from the parameters, leaving the learning rate out of the update.

property: momentum.velocity
accept: momentum.wrong-coefficients, sgd.lr-ignored
"""
class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr = learning_rate
        self.momentum = momentum
        self.velocities = None

    def step(self, model):
        if self.velocities is None:
            self.velocities = {}
        for i, layer in enumerate(model.layers):
            vW, vb = self.velocities.get(i, (0.0, 0.0))
            vW = self.momentum * vW + layer.dW
            vb = self.momentum * vb + layer.db
            layer.W -= vW
            layer.b -= vb
            self.velocities[i] = (vW, vb)
