# Correct implementation that computes everything in float32, inputs included.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        std = np.sqrt(2.0 / in_features) if init == "he" else np.sqrt(2.0 / (in_features + out_features))
        self.W = (np.random.randn(in_features, out_features) * std).astype(np.float32)
        self.b = np.zeros(out_features, dtype=np.float32)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        X = np.asarray(X, dtype=np.float32)
        self.cache["X"] = X
        return X @ self.W.astype(np.float32) + self.b.astype(np.float32)

    def backward(self, dZ):
        dZ = np.asarray(dZ, dtype=np.float32)
        X = self.cache["X"]
        self.dW = (X.T @ dZ / np.float32(X.shape[0])).astype(np.float32)
        self.db = dZ.mean(axis=0, dtype=np.float32)
        return dZ @ self.W.astype(np.float32).T

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        Z = np.asarray(Z, dtype=np.float32)
        self.cache["mask"] = Z > 0
        return Z * self.cache["mask"]

    def backward(self, dA):
        return np.asarray(dA, dtype=np.float32) * self.cache["mask"]

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def forward(self, Z):
        Z = np.asarray(Z, dtype=np.float32)
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-7):
        self.epsilon = epsilon
        self.cache = {}

    def forward(self, probs, targets):
        probs = np.asarray(probs, dtype=np.float32)
        self.cache = {"probs": probs, "targets": targets}
        p = np.clip(probs[np.arange(len(targets)), targets], self.epsilon, 1 - self.epsilon)
        return float(-np.log(p).mean())

    def backward(self):
        grad = self.cache["probs"].copy()
        grad[np.arange(len(self.cache["targets"])), self.cache["targets"]] -= np.float32(1)
        return grad

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = [Linear(a, b) for a, b in zip(layer_sizes, layer_sizes[1:])]
        self.activations = [ReLU() for _ in self.layers[1:]]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(l.W.size + l.b.size for l in self.layers)

    def forward(self, X):
        h = np.asarray(X, dtype=np.float32)
        for layer, act in zip(self.layers, self.activations):
            h = act.forward(layer.forward(h))
        return self.softmax.forward(self.layers[-1].forward(h))

    def backward(self, grad):
        grad = self.layers[-1].backward(grad)
        for layer, act in zip(self.layers[-2::-1], self.activations[::-1]):
            grad = layer.backward(act.backward(grad))

    def predict(self, X):
        return self.forward(X).argmax(axis=1)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.lr = np.float32(learning_rate)

    def step(self, model):
        for layer in model.layers:
            layer.W = (layer.W - self.lr * layer.dW).astype(np.float32)
            layer.b = (layer.b - self.lr * layer.db).astype(np.float32)


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr, self.momentum = np.float32(learning_rate), np.float32(momentum)
        self.velocity = None

    def step(self, model):
        if self.velocity is None:
            self.velocity = [[np.zeros_like(l.W, dtype=np.float32), np.zeros_like(l.b, dtype=np.float32)]
                             for l in model.layers]
        for layer, v in zip(model.layers, self.velocity):
            v[0] = self.momentum * v[0] - self.lr * layer.dW
            v[1] = self.momentum * v[1] - self.lr * layer.db
            layer.W = (layer.W + v[0]).astype(np.float32)
            layer.b = (layer.b + v[1]).astype(np.float32)
