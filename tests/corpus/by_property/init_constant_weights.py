"""Every weight starts at the He standard deviation itself, one constant, so all neurons of a layer start equal.

property: init.distribution
accept: init.symmetric
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float64):
        scale = np.sqrt(2.0 / in_features) if init == "he" else np.sqrt(2.0 / (in_features + out_features))
        self.W = np.full((in_features, out_features), scale, dtype=dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.X = None
        self.dW = None
        self.db = None

    def forward(self, X):
        self.X = X
        return X @ self.W + self.b

    def backward(self, dZ):
        n = dZ.shape[0]
        self.dW = self.X.T @ dZ / n
        self.db = dZ.mean(axis=0)
        return dZ @ self.W.T
