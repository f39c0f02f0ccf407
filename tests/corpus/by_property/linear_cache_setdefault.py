"""Linear.forward caches its input with dict.setdefault, which keeps the first X forever, so backward uses the first batch's input.

property: linear.state
accept: state-leaks-between-calls
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        if init == "he":
            std = np.sqrt(2.0 / in_features)
        else:
            std = np.sqrt(2.0 / (in_features + out_features))
        self.W = (np.random.randn(in_features, out_features) * std).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache.setdefault("X", X)  # remember the input for backward
        return X @ self.W + self.b

    def backward(self, dZ):
        inputs = self.cache["X"]
        k = inputs.shape[0]
        self.dW = inputs.T @ dZ / k
        self.db = dZ.mean(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
