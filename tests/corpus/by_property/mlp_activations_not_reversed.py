"""MLP.backward walks the Linear layers in reverse but the ReLUs in forward order, so each hidden layer's gradient is masked by another layer's ReLU.

property: mlp.backward-order
accept: mlp.backward-order, mlp.layer-gradient-wrong
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = [Linear(n_in, n_out, dtype=dtype) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]
        self.activations = [ReLU() for _ in layer_sizes[1:-1]]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(lin.W.size + lin.b.size for lin in self.layers)

    def forward(self, X):
        out = X
        for lin, act in zip(self.layers, self.activations):
            out = act.forward(lin.forward(out))
        logits = self.layers[-1].forward(out)
        return self.softmax.forward(logits)

    def backward(self, grad):
        grad = self.layers[-1].backward(grad)
        for lin, act in zip(reversed(self.layers[:-1]), self.activations):
            grad = lin.backward(act.backward(grad))

    def predict(self, X):
        return self.forward(X).argmax(axis=1)

    def __call__(self, X):
        return self.forward(X)
