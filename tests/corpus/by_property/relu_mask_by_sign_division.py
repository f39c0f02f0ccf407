"""ReLU.backward builds its mask as (Z / |Z| + 1) / 2, which is 0/0 = NaN wherever the input is exactly 0.

property: relu.backward-mask
accept: not-finite, relu.mask-includes-zero
"""
class ReLU:
    def forward(self, Z):
        self.Z = Z
        return np.maximum(Z, 0)

    def backward(self, dA):
        mask = (self.Z / np.abs(self.Z) + 1) / 2
        return dA * mask
