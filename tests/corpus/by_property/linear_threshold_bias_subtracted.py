"""Linear.forward subtracts the bias (the perceptron "threshold" convention w.x - theta) while backward treats it as added.

property: linear.forward-value
accept: wrong-sign
"""
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        self.in_features = in_features
        self.out_features = out_features
        if init == "he":
            scale = np.sqrt(2.0 / in_features)
        else:
            scale = np.sqrt(2.0 / (in_features + out_features))
        self.W = (np.random.randn(in_features, out_features) * scale).astype(dtype)
        # b is the threshold each neuron has to exceed before it fires
        self.b = np.zeros(out_features, dtype=dtype)
        self.dW = None
        self.db = None
        self.cache = {}

    def forward(self, X):
        self.cache["X"] = X
        # net input minus threshold, as in the perceptron lecture
        return X @ self.W - self.b

    def backward(self, dZ):
        X = self.cache["X"]
        m = X.shape[0]
        self.dW = X.T @ dZ / m
        self.db = np.mean(dZ, axis=0)
        return dZ @ self.W.T

    def __call__(self, X):
        return self.forward(X)
