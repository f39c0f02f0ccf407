"""MLP.backward pairs layers and ReLUs with an off-by-one slice, so the first hidden layer's ReLU is never applied on the way back.

property: mlp.backward-order
accept: mlp.layer-gradient-wrong, mlp.backward-order
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = [Linear(a, b, dtype=dtype) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
        self.activations = [ReLU() for _ in layer_sizes[1:-1]]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(layer.W.size + layer.b.size for layer in self.layers)

    def forward(self, X):
        h = X
        for layer, relu in zip(self.layers[:-1], self.activations):
            h = relu.forward(layer.forward(h))
        return self.softmax.forward(self.layers[-1].forward(h))

    def backward(self, grad):
        grad = self.layers[-1].backward(grad)
        for i in range(len(self.activations) - 1, -1, -1):
            if i > 0:
                grad = self.activations[i].backward(grad)
            grad = self.layers[i].backward(grad)

    def predict(self, X):
        return self.forward(X).argmax(axis=1)
