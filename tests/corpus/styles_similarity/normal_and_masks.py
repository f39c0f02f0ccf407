# Correct implementation with np.random.normal, boolean masks, np.add.at and per-parameter velocity lists.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        assert init in ("he", "xavier"), init
        fan = in_features if init == "he" else in_features + out_features
        self.W = np.random.normal(0.0, (2.0 / fan) ** 0.5, size=(in_features, out_features)).astype(dtype)
        self.b = np.full(out_features, 0.0, dtype=dtype)
        self.dW = None
        self.db = None
        self.last = None

    def forward(self, X):
        self.last = X
        return self.b + X @ self.W

    def backward(self, dZ):
        count = self.last.shape[0]
        self.db = dZ.sum(axis=0) * (1.0 / count)
        self.dW = (self.last.T @ dZ) * (1.0 / count)
        return dZ @ np.swapaxes(self.W, 0, 1)

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def __init__(self):
        self.off = None

    def forward(self, Z):
        self.off = Z < 0
        result = np.array(Z)
        result[self.off] = 0.0
        return result

    def backward(self, dA):
        passed = np.array(dA)
        passed[self.off] = 0.0
        return passed

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def forward(self, Z):
        peak = Z.max(1).reshape(-1, 1)
        weights = np.exp(Z - peak)
        total = weights.sum(1).reshape(-1, 1)
        self.out = weights / total
        return self.out

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon

    def forward(self, probs, targets):
        self.p = probs
        self.y = np.asarray(targets, dtype=int)
        true_class = probs[np.arange(self.y.size), self.y]
        safe = np.minimum(np.maximum(true_class, self.epsilon), 1 - self.epsilon)
        return float(-np.log(safe).sum() / self.y.size)

    def backward(self):
        out = self.p.copy()
        np.add.at(out, (np.arange(self.y.size), self.y), -1.0)
        return out

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        count = len(layer_sizes)
        self.layers = [Linear(layer_sizes[i], layer_sizes[i + 1], dtype=dtype) for i in range(count - 1)]
        self.activations = [ReLU() for i in range(count - 2)]
        self.softmax = Softmax()

    def count_parameters(self):
        sizes = [layer.W.size for layer in self.layers] + [layer.b.size for layer in self.layers]
        return int(np.sum(sizes))

    def forward(self, X):
        a = X
        for i in range(len(self.activations)):
            a = self.activations[i](self.layers[i](a))
        return self.softmax(self.layers[len(self.activations)](a))

    def backward(self, grad):
        n = len(self.activations)
        d = self.layers[n].backward(grad)
        for i in reversed(range(n)):
            d = self.layers[i].backward(self.activations[i].backward(d))

    def predict(self, X):
        p = self.forward(X)
        return (p == p.max(axis=1, keepdims=True)).argmax(axis=1)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.eta = learning_rate

    def step(self, model):
        for l in model.layers:
            l.W[...] = l.W - self.eta * l.dW
            l.b[...] = l.b - self.eta * l.db


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.eta = learning_rate
        self.beta = momentum
        self.vw = None
        self.vb = None

    def step(self, model):
        if self.vw is None:
            self.vw = [np.zeros_like(l.W) for l in model.layers]
            self.vb = [np.zeros_like(l.b) for l in model.layers]
        for i, l in enumerate(model.layers):
            self.vw[i] = self.beta * self.vw[i] - self.eta * l.dW
            self.vb[i] = self.beta * self.vb[i] - self.eta * l.db
            l.W[...] = l.W + self.vw[i]
            l.b[...] = l.b + self.vb[i]
