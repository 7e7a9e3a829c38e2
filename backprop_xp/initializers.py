"""Initial weights, drawn on the host from one seeded ``numpy.random.Generator``.

The array API standard has no random numbers. Drawing on the host and copying
to the device means the same seed gives bit-identical starting weights on every
backend, which is what makes cross-backend parity testable.

Why random at all: with all-zero weights and an activation with φ(0) = 0
(tanh, ReLU) every hidden activation is 0, so every weight gradient is 0 and
nothing learns; with any constant start and sigmoid, all hidden units of a
layer compute the same value and receive identical updates, so they never
become different (the symmetry problem). ``zeros`` exists to demonstrate that.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

INITS = ("xavier", "he", "normal", "zeros")
NORMAL_STD = 0.01


def init_layer(init: str, n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """One float64 weight matrix of shape ``(n_out, n_in)``.

    - ``xavier`` (Glorot uniform): U(-r, r), r = sqrt(6 / (n_in + n_out)); for sigmoid/tanh.
    - ``he``: N(0, 2 / n_in); for ReLU-like activations.
    - ``normal``: N(0, 0.01²).
    - ``zeros``: all zero (demonstration only; see the module docstring).
    """
    if init == "xavier":
        r = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, size=(n_out, n_in))
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
    if init == "normal":
        return rng.normal(0.0, NORMAL_STD, size=(n_out, n_in))
    if init == "zeros":
        return np.zeros((n_out, n_in))
    raise ValueError(f"init must be one of {INITS}, got {init!r}")


def init_parameters(
    sizes: Sequence[int], init: str, seed: int | None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Host (float64) weights ``W[l]`` of shape (n_out, n_in) and zero biases ``b[l]``."""
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    rng = np.random.default_rng(seed)
    weights = [init_layer(init, n_in, n_out, rng) for n_in, n_out in itertools.pairwise(sizes)]
    biases = [np.zeros(n_out) for n_out in sizes[1:]]
    return weights, biases
