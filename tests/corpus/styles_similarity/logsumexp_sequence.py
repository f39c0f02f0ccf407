# Correct implementation through log-space softmax, take_along_axis, and one list of modules run in order.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        denominator = {"he": in_features, "xavier": in_features + out_features}.get(init)
        if denominator is None:
            raise ValueError("unknown init " + str(init))
        self.W = (np.random.randn(in_features, out_features) / np.sqrt(denominator / 2)).astype(dtype)
        self.b = np.zeros(out_features).astype(dtype)
        self.dW, self.db, self.x_seen = None, None, None

    def forward(self, X):
        self.x_seen = X
        return np.tensordot(X, self.W, axes=1) + self.b

    def backward(self, dZ):
        self.dW = np.tensordot(self.x_seen, dZ, axes=([0], [0])) / len(dZ)
        self.db = np.add.reduce(dZ, axis=0) / len(dZ)
        return np.tensordot(dZ, self.W, axes=([1], [1]))

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def forward(self, Z):
        self.inp = Z
        return np.clip(Z, 0, None)

    def backward(self, dA):
        return np.where(self.inp > 0, dA, np.zeros_like(dA))

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    @staticmethod
    def log_softmax(Z):
        top = Z.max(axis=-1, keepdims=True)
        return Z - top - np.log(np.exp(Z - top).sum(axis=-1, keepdims=True))

    def forward(self, Z):
        return np.exp(self.log_softmax(Z))

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.memo = {}

    def forward(self, probs, targets):
        column = np.asarray(targets).reshape(-1, 1)
        picked = np.take_along_axis(probs, column, axis=1).ravel()
        self.memo.update(p=probs, t=column)
        return float(np.mean(-np.log(np.clip(picked, self.epsilon, 1 - self.epsilon))))

    def backward(self):
        d = np.copy(self.memo["p"])
        np.put_along_axis(d, self.memo["t"], np.take_along_axis(d, self.memo["t"], axis=1) - 1, axis=1)
        return d

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.sequence = []
        for position, (fan_in, fan_out) in enumerate(zip(layer_sizes, layer_sizes[1:])):
            if position:
                self.sequence.append(ReLU())
            self.sequence.append(Linear(fan_in, fan_out, dtype=dtype))
        self.layers = self.sequence[::2]
        self.activations = self.sequence[1::2]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(p.size for layer in self.layers for p in (layer.W, layer.b))

    def forward(self, X):
        for module in self.sequence:
            X = module.forward(X)
        return self.softmax.forward(X)

    def backward(self, grad):
        for module in self.sequence[::-1]:
            grad = module.backward(grad)
        return grad

    def predict(self, X):
        return self.forward(X).argmax(-1)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.rate = learning_rate

    def step(self, model):
        for layer in model.layers:
            for name in ("W", "b"):
                setattr(layer, name, getattr(layer, name) - self.rate * getattr(layer, "d" + name))


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.rate, self.mu = learning_rate, momentum
        self.speed = {}

    def step(self, model):
        for n, layer in enumerate(model.layers):
            for name in ("W", "b"):
                key = (n, name)
                previous = self.speed.get(key, 0.0)
                self.speed[key] = self.mu * previous - self.rate * getattr(layer, "d" + name)
                setattr(layer, name, getattr(layer, name) + self.speed[key])
