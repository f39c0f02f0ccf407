"""Softmax avoids overflow by clipping the logits to [-500, 500] instead of shifting each row by its maximum, which changes the probabilities of large logits.

property: softmax.stability
accept: softmax.overflow
"""
class Softmax:
    def __init__(self):
        self.cache = {}

    def forward(self, Z):
        # np.exp overflows above ~709, so keep the logits in a safe range
        safe = np.clip(Z, -500, 500)
        exps = np.exp(safe)
        out = exps / exps.sum(axis=1, keepdims=True)
        self.cache["probs"] = out
        return out

    def __call__(self, Z):
        return self.forward(Z)
