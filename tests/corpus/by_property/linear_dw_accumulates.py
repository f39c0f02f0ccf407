"""Linear.backward accumulates into dW and db (+=) as PyTorch's .grad does, but nothing ever zeroes them, so each call adds to the previous gradient.

property: linear.state
accept: state-leaks-between-calls
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        gain = 2.0 / in_features if init == "he" else 2.0 / (in_features + out_features)
        self.W = (np.random.randn(in_features, out_features) * np.sqrt(gain)).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        n = X.shape[0]
        # gradients accumulate, like param.grad in PyTorch
        self.dW = self.dW + X.T @ dZ / n
        self.db = self.db + dZ.mean(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
