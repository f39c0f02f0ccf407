"""Linear.backward divides the upstream gradient by the batch size first and reuses it for dX, so dX is averaged too.

property: linear.dx
accept: batch-division-extra
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        if init == "he":
            sigma = np.sqrt(2 / in_features)
        elif init == "xavier":
            sigma = np.sqrt(2 / (in_features + out_features))
        else:
            raise ValueError(init)
        self.W = (np.random.randn(in_features, out_features) * sigma).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return X @ self.W + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        # gradient of the mean loss: divide once, then everything below is averaged
        dZ = dZ / X.shape[0]
        self.dW = X.T @ dZ
        self.db = dZ.sum(axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
