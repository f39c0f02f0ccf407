"""MLP.forward computes its own softmax inline and normalises over axis 0 (the batch) instead of over each row's classes.

property: mlp.forward
accept: softmax.wrong-axis
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = []
        self.activations = []
        for k in range(len(layer_sizes) - 1):
            self.layers.append(Linear(layer_sizes[k], layer_sizes[k + 1], dtype=dtype))
            if k < len(layer_sizes) - 2:
                self.activations.append(ReLU())
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(layer.W.size + layer.b.size for layer in self.layers)

    def forward(self, X):
        h = X
        for k, layer in enumerate(self.layers):
            h = layer.forward(h)
            if k < len(self.activations):
                h = self.activations[k].forward(h)
        e = np.exp(h - np.max(h, axis=0))
        return e / np.sum(e, axis=0)

    def backward(self, grad):
        for k in reversed(range(len(self.layers))):
            if k < len(self.activations):
                grad = self.activations[k].backward(grad)
            grad = self.layers[k].backward(grad)

    def predict(self, X):
        return np.argmax(self.forward(X), axis=1)

    def __call__(self, X):
        return self.forward(X)
