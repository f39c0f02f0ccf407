"""MLP creates the ReLU objects but never calls them in forward or backward, so the network is a stack of Linear layers (a linear model).

property: mlp.structure
accept: mlp.missing-relu
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = [Linear(a, b, dtype=dtype) for a, b in zip(layer_sizes, layer_sizes[1:])]
        self.activations = [ReLU() for _ in range(len(layer_sizes) - 2)]
        self.softmax = Softmax()

    def count_parameters(self):
        total = 0
        for layer in self.layers:
            total += layer.W.size + layer.b.size
        return total

    def forward(self, X):
        out = X
        for layer in self.layers:
            out = layer.forward(out)
        return self.softmax.forward(out)

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

    def predict(self, X):
        return np.argmax(self.forward(X), axis=1)

    def __call__(self, X):
        return self.forward(X)
