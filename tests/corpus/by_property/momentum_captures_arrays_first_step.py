"""SGDMomentum records each layer's (W, dW, b, db) arrays at its first step and keeps using them, so later gradients (new arrays set by backward) are never seen and the first gradient is applied forever.

property: optimizer.stale-references
accept: stale-references
"""
class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr = learning_rate
        self.momentum = momentum
        self.velocities = None
        self.slots = None

    def step(self, model):
        if self.slots is None:
            self.slots = []
            for layer in model.layers:
                self.slots.append((layer.W, layer.dW, np.zeros_like(layer.W)))
                self.slots.append((layer.b, layer.db, np.zeros_like(layer.b)))
        for param, grad, velocity in self.slots:
            velocity *= self.momentum
            velocity -= self.lr * grad
            param += velocity
