"""MLP puts a ReLU after the output layer too (Linear -> ReLU for every layer), so negative logits are cut to zero before the softmax.

property: mlp.structure
accept: mlp.relu-on-output
"""
class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = []
        self.activations = []
        for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            self.layers.append(Linear(fan_in, fan_out, dtype=dtype))
        for _ in range(len(self.layers) - 1):
            self.activations.append(ReLU())
        self.output_activation = ReLU()  # every Linear is followed by a ReLU
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(l.W.size + l.b.size for l in self.layers)

    def forward(self, X):
        h = X
        for layer, act in zip(self.layers, self.activations + [self.output_activation]):
            h = act.forward(layer.forward(h))
        return self.softmax.forward(h)

    def backward(self, grad):
        acts = self.activations + [self.output_activation]
        for layer, act in zip(reversed(self.layers), reversed(acts)):
            grad = layer.backward(act.backward(grad))

    def predict(self, X):
        return self.forward(X).argmax(axis=1)

    def __call__(self, X):
        return self.forward(X)
