"""SGD collects (parameter, gradient) array pairs at its first step and keeps reusing them, so later steps apply the first gradient again and miss arrays the model has replaced.

property: optimizer.stale-references
accept: stale-references
"""
class SGD:
    def __init__(self, learning_rate=0.01):
        self.lr = learning_rate
        self.params = None

    def step(self, model):
        if self.params is None:
            self.params = []
            for layer in model.layers:
                self.params.append((layer.W, layer.dW))
                self.params.append((layer.b, layer.db))
        for p, g in self.params:
            p -= self.lr * g
