"""SGDMomentum swaps the two coefficients, v = lr * v - momentum * grad, so the velocity barely carries over and the gradient step is scaled by the momentum.

property: momentum.velocity
accept: momentum.wrong-coefficients
"""
class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr = learning_rate
        self.momentum = momentum
        self.velocities = None

    def step(self, model):
        if self.velocities is None:
            self.velocities = [[np.zeros_like(l.W), np.zeros_like(l.b)] for l in model.layers]
        for l, v in zip(model.layers, self.velocities):
            v[0] = self.lr * v[0] - self.momentum * l.dW
            v[1] = self.lr * v[1] - self.momentum * l.db
            l.W += v[0]
            l.b += v[1]
