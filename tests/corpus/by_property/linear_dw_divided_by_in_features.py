"""Linear.backward averages dW and db with X.shape[1] (the number of input features) instead of X.shape[0] (the batch size).

property: linear.dw-scale
accept: scaled-by-constant
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        std = np.sqrt(2.0 / in_features) if init == "he" else np.sqrt(2.0 / (in_features + out_features))
        self.W = (np.random.randn(in_features, out_features) * std).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        m = X.shape[1]
        self.dW = (X.T @ dZ) / m
        self.db = np.sum(dZ, axis=0) / m
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
