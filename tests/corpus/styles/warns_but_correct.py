# Correct implementation whose Softmax also caches log-probabilities: np.log(0) raises a
# harmless RuntimeWarning at extreme logits.  nbgrader zeroes any test cell that writes to
# stderr, so the grader must not let this warning cost points.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        std = np.sqrt(2.0 / in_features) if init == "he" else np.sqrt(2.0 / (in_features + out_features))
        self.W = (np.random.randn(in_features, out_features) * std).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        self.dW = X.T @ dZ / len(X)
        self.db = dZ.mean(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def forward(self, Z):
        self.Z = Z
        return np.maximum(Z, 0)

    def backward(self, dA):
        return dA * (self.Z > 0)

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def forward(self, Z):
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        self.log_probs = np.log(probs)  # warns "divide by zero" when a probability underflows
        return probs

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon

    def forward(self, probs, targets):
        self.probs, self.targets = probs, targets
        import warnings
        warnings.warn("computing cross-entropy")  # chatty, but harmless
        return float(-np.mean(np.log(np.clip(probs[np.arange(len(targets)), targets], self.epsilon, 1.0))))

    def backward(self):
        grad = self.probs.copy()
        grad[np.arange(len(self.targets)), self.targets] -= 1
        return grad

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = [Linear(a, b, dtype=dtype) for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
        self.activations = [ReLU() for _ in self.layers[:-1]]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(l.W.size + l.b.size for l in self.layers)

    def forward(self, X):
        for layer, act in zip(self.layers[:-1], self.activations):
            X = act(layer(X))
        return self.softmax(self.layers[-1](X))

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
        self.lr = learning_rate

    def step(self, model):
        for layer in model.layers:
            layer.W -= self.lr * layer.dW
            layer.b -= self.lr * layer.db


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = learning_rate, momentum, None

    def step(self, model):
        if self.v is None:
            self.v = [[np.zeros_like(l.W), np.zeros_like(l.b)] for l in model.layers]
        for layer, v in zip(model.layers, self.v):
            v[0] = self.momentum * v[0] - self.lr * layer.dW
            v[1] = self.momentum * v[1] - self.lr * layer.db
            layer.W += v[0]
            layer.b += v[1]
