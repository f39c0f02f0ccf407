# Correct implementation in another style: np.dot, np.where, explicit sums, float64 weights.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float64):
        self.in_features, self.out_features = in_features, out_features
        gain, fan = (2.0, in_features) if init == "he" else (1.0, (in_features + out_features) / 2.0)
        self.W = np.random.randn(in_features, out_features) * np.sqrt(gain / fan)
        self.b = np.zeros(out_features)
        self.dW = self.db = None
        self._x = None

    def forward(self, X):
        self._x = X
        return np.dot(X, self.W) + self.b

    def backward(self, dZ):
        m = self._x.shape[0]
        self.dW = np.dot(self._x.T, dZ) / m
        self.db = np.sum(dZ, axis=0) / m
        return np.dot(dZ, self.W.T)

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def forward(self, Z):
        self.positive = Z > 0
        return np.where(self.positive, Z, 0.0)

    def backward(self, dA):
        return np.where(self.positive, dA, 0.0)

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def forward(self, Z):
        e = np.exp(Z - np.max(Z, axis=-1)[:, None])
        return e / np.sum(e, axis=-1)[:, None]

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-12):
        self.epsilon = epsilon

    def forward(self, probs, targets):
        self.probs, self.targets = probs, np.asarray(targets)
        one_hot = np.eye(probs.shape[1])[self.targets]
        return -np.sum(one_hot * np.log(np.clip(probs, self.epsilon, 1.0))) / probs.shape[0]

    def backward(self):
        return self.probs - np.eye(self.probs.shape[1])[self.targets]

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float64):
        self.layers, self.activations = [], []
        for k in range(len(layer_sizes) - 1):
            self.layers.append(Linear(layer_sizes[k], layer_sizes[k + 1]))
            if k < len(layer_sizes) - 2:
                self.activations.append(ReLU())
        self.softmax = Softmax()

    def count_parameters(self):
        return int(np.sum([l.W.size + l.b.size for l in self.layers]))

    def forward(self, X):
        for k, layer in enumerate(self.layers):
            X = layer.forward(X)
            if k < len(self.activations):
                X = self.activations[k].forward(X)
        return self.softmax.forward(X)

    def backward(self, grad):
        for k in range(len(self.layers) - 1, -1, -1):
            if k < len(self.activations):
                grad = self.activations[k].backward(grad)
            grad = self.layers[k].backward(grad)

    def predict(self, X):
        return np.argmax(self.forward(X), axis=1)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.lr = learning_rate

    def step(self, model):
        for layer in model.layers:
            layer.W = layer.W - self.lr * layer.dW
            layer.b = layer.b - self.lr * layer.db


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr, self.beta = learning_rate, momentum
        self.v = {}

    def step(self, model):
        for k, layer in enumerate(model.layers):
            vW, vb = self.v.get(k, (0.0, 0.0))
            vW = self.beta * vW - self.lr * layer.dW
            vb = self.beta * vb - self.lr * layer.db
            self.v[k] = (vW, vb)
            layer.W = layer.W + vW
            layer.b = layer.b + vb
