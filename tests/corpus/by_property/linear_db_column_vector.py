"""Linear.backward stores db as a column vector of shape (out_features, 1), the column-vector course's layout, instead of (out_features,).

property: linear.shape
accept: wrong-shape
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        var = 2.0 / in_features if init == "he" else 2.0 / (in_features + out_features)
        self.W = np.random.randn(in_features, out_features).astype(dtype) * np.sqrt(var).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        n_samples = X.shape[0]
        self.dW = X.T @ dZ / n_samples
        # db = (1/m) * sum over samples of delta, kept as a column like the bias in the lecture notes
        self.db = np.sum(dZ.T, axis=1).reshape(-1, 1) / n_samples
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
