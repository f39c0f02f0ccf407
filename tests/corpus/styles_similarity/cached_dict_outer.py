# Correct implementation that keeps a dict per layer, builds one-hot targets with np.eye, and sums outer products.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        scale = np.sqrt(2.0 / (in_features if init == "he" else in_features + out_features))
        self.params = {"in": in_features, "out": out_features}
        self.W = np.random.randn(in_features, out_features)
        self.W = (self.W * scale).astype(dtype)
        self.b = np.zeros(out_features, dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.stash = {}

    def forward(self, X):
        self.stash["input"] = X
        out = np.empty((X.shape[0], self.params["out"]), dtype=np.result_type(X, self.W))
        np.matmul(X, self.W, out=out)
        out += self.b
        return out

    def backward(self, dZ):
        x = self.stash["input"]
        m = len(x)
        self.dW = sum(np.outer(x[i], dZ[i]) for i in range(m)) / m
        self.db = dZ.mean(0)
        dX = dZ.dot(self.W.transpose())
        return dX

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def __init__(self):
        self.stash = {}

    def forward(self, Z):
        self.stash["gate"] = (Z > 0).astype(Z.dtype)
        return Z * self.stash["gate"]

    def backward(self, dA):
        return dA * self.stash["gate"]

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def __init__(self):
        self.stash = {}

    def forward(self, Z):
        z = Z - Z.max(axis=1)[:, None]
        e = np.exp(z)
        s = e.sum(axis=1)[:, None]
        self.stash["out"] = e / s
        return self.stash["out"]

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.stash = {}

    def forward(self, probs, targets):
        classes = probs.shape[1]
        onehot = np.eye(classes, dtype=probs.dtype)[targets]
        self.stash["probs"], self.stash["onehot"] = probs, onehot
        kept = (probs * onehot).sum(axis=1)
        kept = np.clip(kept, self.epsilon, 1 - self.epsilon)
        return float(np.mean(-np.log(kept)))

    def backward(self):
        return self.stash["probs"] - self.stash["onehot"]

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = []
        for fan_in, fan_out in zip(layer_sizes, layer_sizes[1:]):
            self.layers += [Linear(fan_in, fan_out, dtype=dtype)]
        self.activations = []
        while len(self.activations) < len(self.layers) - 1:
            self.activations += [ReLU()]
        self.softmax = Softmax()

    def count_parameters(self):
        n = 0
        for layer in self.layers:
            n += layer.params["in"] * layer.params["out"] + layer.params["out"]
        return n

    def forward(self, X):
        h = X
        for k in range(len(self.layers)):
            h = self.layers[k](h)
            if k != len(self.layers) - 1:
                h = self.activations[k](h)
        return self.softmax(h)

    def backward(self, grad):
        k = len(self.layers) - 1
        while k >= 0:
            if k != len(self.layers) - 1:
                grad = self.activations[k].backward(grad)
            grad = self.layers[k].backward(grad)
            k = k - 1

    def predict(self, X):
        return self.forward(X).argmax(axis=1).astype(int)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.lr = learning_rate

    def step(self, model):
        for layer in model.layers:
            grads = {"W": layer.dW, "b": layer.db}
            layer.W = layer.W - grads["W"] * self.lr
            layer.b = layer.b - grads["b"] * self.lr


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.lr = learning_rate
        self.momentum = momentum
        self.velocities = None

    def step(self, model):
        if not self.velocities:
            self.velocities = [{"W": np.zeros(layer.W.shape), "b": np.zeros(layer.b.shape)} for layer in model.layers]
        for layer, vel in zip(model.layers, self.velocities):
            vel["W"] = vel["W"] * self.momentum - layer.dW * self.lr
            vel["b"] = vel["b"] * self.momentum - layer.db * self.lr
            layer.W = layer.W + vel["W"]
            layer.b = layer.b + vel["b"]
