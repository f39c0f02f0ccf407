"""Linear draws W from a uniform distribution scaled to the He standard deviation but on [0, a] instead of [-a, a], so every weight is positive (not centred on zero).

property: init.distribution
accept: init.not-centred
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        if init == "he":
            std = np.sqrt(2.0 / in_features)
        else:
            std = np.sqrt(2.0 / (in_features + out_features))
        # U(0, 1) has standard deviation 1/sqrt(12): stretch it to the target std
        self.W = (np.random.rand(in_features, out_features) * np.sqrt(12) * std).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        bs = X.shape[0]
        self.dW = X.T @ dZ / bs
        self.db = dZ.mean(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
