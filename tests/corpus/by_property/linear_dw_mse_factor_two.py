"""Linear.backward keeps the factor 2 from the squared-error derivative it was copied from, so dW and db are twice the gradient.

property: linear.dw-scale
accept: scaled-by-constant
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
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        N = X.shape[0]
        # d/dW of (1/N) sum (XW + b - y)^2 = (2/N) X^T (...)
        self.dW = 2 / N * X.T @ dZ
        self.db = 2 / N * dZ.sum(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
