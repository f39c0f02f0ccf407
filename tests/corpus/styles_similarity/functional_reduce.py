# Correct implementation in a functional style: functools.reduce, comprehensions, np.heaviside, np.einsum-free.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        import math
        variance = 2 / in_features if init == "he" else 2 / (in_features + out_features)
        self.W = np.random.randn(in_features, out_features).astype(dtype) * dtype(math.sqrt(variance))
        self.b = np.zeros_like(self.W[0])
        self.dW = self.db = None
        self.memory = ()

    def forward(self, X):
        self.memory = (X,)
        return X.dot(self.W) + self.b

    def backward(self, dZ):
        (inputs,) = self.memory
        batch = float(inputs.shape[0])
        self.dW = inputs.T.dot(dZ) / batch
        self.db = dZ.sum(0) / batch
        return dZ.dot(self.W.T)

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def forward(self, Z):
        self.slope = np.heaviside(Z, 0.0)
        return Z * self.slope

    def backward(self, dA):
        return self.slope * dA

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def forward(self, Z):
        stable = Z - np.max(Z, 1)[:, np.newaxis]
        numerator = np.exp(stable)
        return numerator / numerator.sum(1)[:, np.newaxis]

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon

    def forward(self, probs, targets):
        rows = range(len(targets))
        self.remembered = probs, list(targets)
        losses = [-np.log(np.clip(probs[r, c], self.epsilon, 1.0 - self.epsilon)) for r, c in zip(rows, targets)]
        return float(sum(losses) / len(losses))

    def backward(self):
        probs, labels = self.remembered
        hot = np.zeros_like(probs)
        hot[list(range(len(labels))), labels] = 1
        return probs - hot

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        shapes = list(zip(layer_sizes[:-1], layer_sizes[1:]))
        self.layers = list(map(lambda s: Linear(s[0], s[1], dtype=dtype), shapes))
        self.activations = [ReLU() for _ in range(len(shapes) - 1)]
        self.softmax = Softmax()

    def count_parameters(self):
        return sum(map(lambda layer: layer.W.size + layer.b.size, self.layers))

    def forward(self, X):
        import functools
        hidden = functools.reduce(lambda h, pair: pair[1](pair[0](h)), zip(self.layers, self.activations), X)
        return self.softmax(self.layers[-1](hidden))

    def backward(self, grad):
        import functools
        g = self.layers[-1].backward(grad)
        pairs = list(zip(self.layers, self.activations))[::-1]
        functools.reduce(lambda d, pair: pair[0].backward(pair[1].backward(d)), pairs, g)

    def predict(self, X):
        scores = self.forward(X)
        return scores.argmax(axis=1)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.alpha = learning_rate

    def step(self, model):
        [self._update(layer) for layer in model.layers]

    def _update(self, layer):
        layer.W -= self.alpha * layer.dW
        layer.b -= self.alpha * layer.db


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.alpha = learning_rate
        self.gamma = momentum
        self.buffers = None

    def step(self, model):
        self.buffers = self.buffers or [dict(W=0 * layer.W, b=0 * layer.b) for layer in model.layers]
        for layer, buffer in zip(model.layers, self.buffers):
            buffer["W"] = self.gamma * buffer["W"] - self.alpha * layer.dW
            buffer["b"] = self.gamma * buffer["b"] - self.alpha * layer.db
            layer.W += buffer["W"]
            layer.b += buffer["b"]
