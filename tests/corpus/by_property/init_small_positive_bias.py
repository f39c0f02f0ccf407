"""Linear starts every bias at 0.01 (a "keep the ReLUs alive" tip) instead of at zero.

property: init.distribution
accept: init.bias-not-zero
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
        # small positive bias so that ReLU units start active
        self.b = np.full(out_features, 0.01, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        self.dW = X.T @ dZ / X.shape[0]
        self.db = dZ.mean(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
