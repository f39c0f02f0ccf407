"""SGD.step assigns param = param - lr * grad to the loop variable, which rebinds a local name and never changes the layer's arrays.

property: sgd.update
accept: sgd.no-update
"""
class SGD:
    def __init__(self, learning_rate=0.01):
        self.lr = learning_rate

    def step(self, model):
        for layer in model.layers:
            for param, grad in [(layer.W, layer.dW), (layer.b, layer.db)]:
                param = param - self.lr * grad
