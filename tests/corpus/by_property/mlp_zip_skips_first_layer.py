"""MLP.backward zips the reversed Linear layers with the reversed ReLUs, one fewer, so zip stops early and the first Linear layer's backward is never called.

property: mlp.backward-order
accept: mlp.backward-order, gradient-not-stored
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        sizes = list(layer_sizes)
        self.layers = [Linear(sizes[i], sizes[i + 1], dtype=dtype) for i in range(len(sizes) - 1)]
        self.activations = [ReLU() for _ in range(len(sizes) - 2)]
        self.softmax = Softmax()

    def count_parameters(self):
        return int(sum(np.prod(layer.W.shape) + layer.b.shape[0] for layer in self.layers))

    def forward(self, X):
        a = X
        for i, layer in enumerate(self.layers):
            a = layer.forward(a)
            if i < len(self.activations):
                a = self.activations[i].forward(a)
        return self.softmax.forward(a)

    def backward(self, grad):
        # each Linear hands its dX to the ReLU in front of it
        for layer, relu in zip(reversed(self.layers), reversed(self.activations)):
            grad = relu.backward(layer.backward(grad))

    def predict(self, X):
        return np.argmax(self.forward(X), axis=1)

    def __call__(self, X):
        return self.forward(X)
