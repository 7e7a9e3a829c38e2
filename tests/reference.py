"""An independent float64 NumPy reference: forward pass and cost written from the
definitions, and central differences of that cost. It shares no code with the
library's backward pass."""

from __future__ import annotations

import numpy as np

HIDDEN = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "identity": lambda z: z,
}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


OUTPUT = dict(HIDDEN, softmax=softmax)


def cost(weights, biases, hidden, output, loss, X, Y):
    """C = 1/(2m) Σ||a - y||² or the cross-entropies, straight from their definitions."""
    a = np.asarray(X, dtype=np.float64)
    for W, b, name in zip(weights, biases, [*list(hidden), output]):
        a = OUTPUT[name](a @ W.T + b)
    m = X.shape[0]
    if loss == "mse":
        return 0.5 * np.sum((a - Y) ** 2) / m
    if output == "softmax":
        return -np.sum(Y * np.log(a)) / m
    return -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / m


def central_differences(weights, biases, hidden, output, loss, X, Y, h=1e-6):
    """∂C/∂θ for every weight and bias by (C(θ+h) - C(θ-h)) / 2h, in float64."""
    weights = [np.array(W, dtype=np.float64) for W in weights]
    biases = [np.array(b, dtype=np.float64) for b in biases]
    grads = []
    for group in (weights, biases):
        out = []
        for p in group:
            g = np.zeros_like(p)
            flat, gflat = p.reshape(-1), g.reshape(-1)
            for i in range(flat.size):
                old = flat[i]
                flat[i] = old + h
                plus = cost(weights, biases, hidden, output, loss, X, Y)
                flat[i] = old - h
                minus = cost(weights, biases, hidden, output, loss, X, Y)
                flat[i] = old
                gflat[i] = (plus - minus) / (2 * h)
            out.append(g)
        grads.append(out)
    return grads[0], grads[1]


def one_hot(labels, k):
    return (np.asarray(labels)[:, None] == np.arange(k)).astype(np.float64)
