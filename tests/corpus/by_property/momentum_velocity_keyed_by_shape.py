"""SGDMomentum stores velocities in a dict keyed by the parameter's shape, so two layers (or a W and a b) of the same shape share one velocity.

property: momentum.per-parameter-state
accept: shared-state
"""
class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr = learning_rate
        self.momentum = momentum
        self.velocities = {}

    def step(self, model):
        for layer in model.layers:
            for name in ("W", "b"):
                param = getattr(layer, name)
                grad = getattr(layer, "d" + name)
                v = self.velocities.get(param.shape, np.zeros_like(param))
                v = self.momentum * v - self.lr * grad
                self.velocities[param.shape] = v
                setattr(layer, name, param + v)
