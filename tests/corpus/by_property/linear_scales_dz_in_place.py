"""Linear.backward averages the upstream gradient in place (dZ /= n), changing the caller's array.

property: linear.purity
accept: mutates-input
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        if init == "he":
            std = np.sqrt(2.0 / in_features)
        elif init == "xavier":
            std = np.sqrt(2.0 / (in_features + out_features))
        else:
            raise ValueError(f"unknown init {init}")
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
        dX = dZ @ self.W.T          # per-sample, before averaging
        dZ /= X.shape[0]            # average for the parameter gradients
        self.dW = X.T @ dZ
        self.db = dZ.sum(axis=0)
        return dX

    def __call__(self, X):
        return self.forward(X)
