"""Linear.backward returns dX in the column-vector layout W dZ^T, shape (in_features, batch), instead of (batch, in_features).

property: linear.shape
accept: transposed, wrong-shape
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        if init == "xavier":
            std = np.sqrt(2.0 / (in_features + out_features))
        else:
            std = np.sqrt(2.0 / in_features)
        self.W = (std * np.random.randn(in_features, out_features)).astype(dtype)
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        return np.dot(X, self.W) + self.b

    def backward(self, dZ):
        X = self.cache["X"]
        batch = X.shape[0]
        self.dW = np.dot(X.T, dZ) / batch
        self.db = np.sum(dZ, axis=0) / batch
        # dL/dx = W . delta, one column per sample
        dX = np.dot(self.W, dZ.T)
        return dX

    def __call__(self, X):
        return self.forward(X)
