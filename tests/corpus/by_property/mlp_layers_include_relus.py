"""MLP keeps one Sequential-style list [Linear, ReLU, Linear, ReLU, Linear] in model.layers, so model.layers holds the ReLUs too instead of the Linear layers only.

property: mlp.structure
accept: mlp.layer-count
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = []
        n = len(layer_sizes) - 1
        for i in range(n):
            self.layers.append(Linear(layer_sizes[i], layer_sizes[i + 1], dtype=dtype))
            if i < n - 1:
                self.layers.append(ReLU())
        self.activations = [m for m in self.layers if isinstance(m, ReLU)]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(m.W.size + m.b.size for m in self.layers if isinstance(m, Linear))

    def forward(self, X):
        for module in self.layers:
            X = module.forward(X)
        return self.softmax.forward(X)

    def backward(self, grad):
        for module in reversed(self.layers):
            grad = module.backward(grad)

    def predict(self, X):
        return self.forward(X).argmax(axis=1)

    def __call__(self, X):
        return self.forward(X)
