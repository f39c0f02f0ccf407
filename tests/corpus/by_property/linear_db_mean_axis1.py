"""Linear.backward averages dZ over axis 1 (the output units) for db instead of over the batch axis 0.

property: linear.db-axis
accept: linear.db-wrong-axis, wrong-shape
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        denominator = in_features if init == "he" else in_features + out_features
        self.W = (np.random.randn(in_features, out_features) * np.sqrt(2 / denominator)).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        batch_size = X.shape[0]
        self.dW = X.T @ dZ / batch_size
        self.db = np.mean(dZ, axis=1)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
