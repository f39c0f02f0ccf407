"""Linear.forward computes W x column by column as in a column-vector course, (W @ X.T).T, which only fits when in_features == out_features and then uses W transposed.

property: linear.forward-value
accept: linear.weights-orientation
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        fan = in_features if init == "he" else (in_features + out_features) / 2
        self.W = (np.random.randn(in_features, out_features) * np.sqrt(2.0 / fan)).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        # z = W x + b for every sample x (a column), then back to one row per sample
        z = self.W @ X.T
        return z.T + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        n = len(X)
        self.dW = X.T @ dZ / n
        self.db = dZ.sum(axis=0) / n
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
