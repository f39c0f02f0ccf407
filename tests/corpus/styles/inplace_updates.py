# Correct implementation with in-place updates, einsum, and velocities keyed by layer object.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        scale = {"he": 2.0 / in_features, "xavier": 2.0 / (in_features + out_features)}[init]
        self.W = np.sqrt(scale) * np.random.randn(in_features, out_features).astype(dtype)
        self.b = np.zeros((out_features,), dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.inputs = None

    def forward(self, X):
        self.inputs = X
        out = np.einsum("ni,io->no", X, self.W, optimize=True)
        out += self.b
        return out

    def backward(self, dZ):
        n = self.inputs.shape[0]
        self.dW = np.einsum("ni,no->io", self.inputs, dZ, optimize=True)
        self.dW /= n
        self.db = dZ.sum(axis=0)
        self.db /= n
        return np.einsum("no,io->ni", dZ, self.W, optimize=True)

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def forward(self, Z):
        self.dead = Z <= 0
        out = Z.copy()
        out[self.dead] = 0
        return out

    def backward(self, dA):
        dZ = dA.copy()
        dZ[self.dead] = 0
        return dZ

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def forward(self, Z):
        out = Z - Z.max(axis=1, keepdims=True)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon

    def forward(self, probs, targets):
        self.saved = (probs, targets)
        picked = probs[np.arange(probs.shape[0]), targets]
        return -np.log(np.maximum(picked, self.epsilon)).mean()

    def backward(self):
        probs, targets = self.saved
        grad = np.array(probs, copy=True)
        np.subtract.at(grad, (np.arange(len(targets)), targets), 1)
        return grad

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = []
        self.activations = []
        for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
            self.layers.append(Linear(n_in, n_out, dtype=dtype))
        for _ in range(len(self.layers) - 1):
            self.activations.append(ReLU())
        self.softmax = Softmax()

    def count_parameters(self):
        total = 0
        for layer in self.layers:
            total += layer.W.size + layer.b.size
        return total

    def forward(self, X):
        out = X
        for i, layer in enumerate(self.layers):
            out = layer(out)
            if i < len(self.activations):
                out = self.activations[i](out)
        return self.softmax(out)

    def backward(self, grad):
        for i in reversed(range(len(self.layers))):
            if i < len(self.activations):
                grad = self.activations[i].backward(grad)
            grad = self.layers[i].backward(grad)
        return grad

    def predict(self, X):
        return self.forward(X).argmax(1)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate

    def step(self, model):
        for layer in model.layers:
            np.subtract(layer.W, self.learning_rate * layer.dW, out=layer.W, casting="unsafe")
            np.subtract(layer.b, self.learning_rate * layer.db, out=layer.b, casting="unsafe")


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.state = {}

    def step(self, model):
        for layer in model.layers:
            if id(layer) not in self.state:
                self.state[id(layer)] = (np.zeros_like(layer.W), np.zeros_like(layer.b))
            vW, vb = self.state[id(layer)]
            vW *= self.momentum
            vW -= self.learning_rate * layer.dW
            vb *= self.momentum
            vb -= self.learning_rate * layer.db
            layer.W += vW
            layer.b += vb
