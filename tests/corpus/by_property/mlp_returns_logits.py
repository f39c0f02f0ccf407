"""MLP.forward returns the last layer's logits (the PyTorch habit of leaving softmax to the loss), not softmax probabilities.

property: mlp.forward
accept: mlp.returns-logits
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
        self.layers = [Linear(i, o, dtype=dtype) for i, o in pairs]
        self.activations = [ReLU() for _ in pairs[:-1]]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(layer.W.size + layer.b.size for layer in self.layers)

    def forward(self, X):
        for layer, relu in zip(self.layers[:-1], self.activations):
            X = relu.forward(layer.forward(X))
        return self.layers[-1].forward(X)  # logits; softmax is applied where probabilities are needed

    def backward(self, grad):
        grad = self.layers[-1].backward(grad)
        for layer, relu in zip(self.layers[-2::-1], self.activations[::-1]):
            grad = layer.backward(relu.backward(grad))

    def predict(self, X):
        return np.argmax(self.softmax.forward(self.forward(X)), axis=1)

    def __call__(self, X):
        return self.forward(X)
