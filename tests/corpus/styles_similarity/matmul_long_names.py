# Correct implementation with long descriptive names, np.matmul / np.transpose, and index loops.
class Linear:
    def __init__(self, in_features, out_features, init="he", dtype=np.float32):
        if init == "xavier":
            fan_total = in_features + out_features
            spread = np.sqrt(2.0 / fan_total)
        else:
            spread = np.sqrt(2.0 / in_features)
        random_weights = np.random.randn(in_features, out_features)
        self.W = np.asarray(random_weights * spread, dtype=dtype)
        self.b = np.zeros(shape=(out_features,), dtype=dtype)
        self.dW = None
        self.db = None
        self.saved_input = None

    def forward(self, X):
        self.saved_input = X
        weighted_sum = np.matmul(X, self.W)
        return weighted_sum + self.b[np.newaxis, :]

    def backward(self, dZ):
        number_of_samples = dZ.shape[0]
        inputs_transposed = np.transpose(self.saved_input)
        self.dW = np.matmul(inputs_transposed, dZ) / number_of_samples
        self.db = np.mean(dZ, axis=0)
        weights_transposed = np.transpose(self.W)
        return np.matmul(dZ, weights_transposed)

    def __call__(self, X):
        return self.forward(X)


class ReLU:
    def __init__(self):
        self.was_positive = None

    def forward(self, Z):
        self.was_positive = np.greater(Z, 0)
        return np.multiply(Z, self.was_positive)

    def backward(self, dA):
        gradient_through = np.multiply(dA, self.was_positive)
        return gradient_through

    def __call__(self, Z):
        return self.forward(Z)


class Softmax:
    def forward(self, Z):
        largest_per_row = np.amax(Z, axis=1, keepdims=True)
        exponentials = np.exp(np.subtract(Z, largest_per_row))
        row_totals = np.sum(exponentials, axis=1, keepdims=True)
        return np.divide(exponentials, row_totals)

    def __call__(self, Z):
        return self.forward(Z)


class CrossEntropyLoss:
    def __init__(self, epsilon=1e-10):
        self.epsilon = epsilon
        self.last_probabilities = None
        self.last_labels = None

    def forward(self, probs, targets):
        self.last_probabilities = probs
        self.last_labels = targets
        number_of_samples = probs.shape[0]
        total = 0.0
        for sample_index in range(number_of_samples):
            chosen = probs[sample_index, targets[sample_index]]
            chosen = min(max(chosen, self.epsilon), 1.0 - self.epsilon)
            total = total - np.log(chosen)
        return float(total / number_of_samples)

    def backward(self):
        gradient = np.array(self.last_probabilities, copy=True)
        for sample_index, label in enumerate(self.last_labels):
            gradient[sample_index, label] = gradient[sample_index, label] - 1.0
        return gradient

    def __call__(self, probs, targets):
        return self.forward(probs, targets)


class MLP:
    def __init__(self, layer_sizes, dtype=np.float32):
        self.layers = []
        self.activations = []
        number_of_layers = len(layer_sizes) - 1
        layer_index = 0
        while layer_index < number_of_layers:
            fan_in = layer_sizes[layer_index]
            fan_out = layer_sizes[layer_index + 1]
            self.layers.append(Linear(fan_in, fan_out, dtype=dtype))
            if layer_index < number_of_layers - 1:
                self.activations.append(ReLU())
            layer_index += 1
        self.softmax = Softmax()

    def count_parameters(self):
        parameter_total = 0
        for one_layer in self.layers:
            parameter_total = parameter_total + np.prod(one_layer.W.shape) + np.prod(one_layer.b.shape)
        return int(parameter_total)

    def forward(self, X):
        current_values = X
        last_index = len(self.layers) - 1
        for layer_index in range(last_index):
            current_values = self.layers[layer_index].forward(current_values)
            current_values = self.activations[layer_index].forward(current_values)
        current_values = self.layers[last_index].forward(current_values)
        return self.softmax.forward(current_values)

    def backward(self, grad):
        last_index = len(self.layers) - 1
        upstream = self.layers[last_index].backward(grad)
        layer_index = last_index - 1
        while layer_index >= 0:
            upstream = self.activations[layer_index].backward(upstream)
            upstream = self.layers[layer_index].backward(upstream)
            layer_index -= 1

    def predict(self, X):
        probabilities = self.forward(X)
        return np.argmax(probabilities, axis=1)

    def __call__(self, X):
        return self.forward(X)


class SGD:
    def __init__(self, learning_rate=0.01):
        self.step_size = learning_rate

    def step(self, model):
        for layer_index in range(len(model.layers)):
            current_layer = model.layers[layer_index]
            current_layer.W = current_layer.W - self.step_size * current_layer.dW
            current_layer.b = current_layer.b - self.step_size * current_layer.db


class SGDMomentum:
    def __init__(self, learning_rate=0.01, momentum=0.9):
        self.step_size = learning_rate
        self.friction = momentum
        self.weight_velocities = []
        self.bias_velocities = []

    def step(self, model):
        if len(self.weight_velocities) == 0:
            for current_layer in model.layers:
                self.weight_velocities.append(np.zeros(current_layer.W.shape))
                self.bias_velocities.append(np.zeros(current_layer.b.shape))
        for layer_index in range(len(model.layers)):
            current_layer = model.layers[layer_index]
            new_weight_velocity = self.friction * self.weight_velocities[layer_index] - self.step_size * current_layer.dW
            new_bias_velocity = self.friction * self.bias_velocities[layer_index] - self.step_size * current_layer.db
            self.weight_velocities[layer_index] = new_weight_velocity
            self.bias_velocities[layer_index] = new_bias_velocity
            current_layer.W = current_layer.W + new_weight_velocity
            current_layer.b = current_layer.b + new_bias_velocity
