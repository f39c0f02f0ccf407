"""SGD.step casts each parameter to float32 with astype, which returns a copy, and updates that copy in place, so the layers never change.

property: sgd.update
accept: sgd.no-update
"""
class SGD:
    def __init__(self, learning_rate=0.01):
        self.lr = learning_rate

    def step(self, model):
        lr = np.float32(self.lr)
        for layer in model.layers:
            W = layer.W.astype(np.float32)
            b = layer.b.astype(np.float32)
            W -= lr * layer.dW
            b -= lr * layer.db
