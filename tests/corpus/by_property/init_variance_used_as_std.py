"""Linear multiplies the Gaussian weights by the He variance 2 / in_features instead of its square root, so the weights are far too small.

property: init.distribution
accept: init.wrong-scale
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        if init == "he":
            variance = 2 / in_features
        else:
            variance = 2 / (in_features + out_features)
        self.W = np.random.randn(in_features, out_features).astype(dtype) * np.float32(variance)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        n = X.shape[0]
        self.dW = X.T @ dZ / n
        self.db = dZ.mean(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
