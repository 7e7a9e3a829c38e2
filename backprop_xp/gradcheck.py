"""``gradcheck``: backprop's gradients against central differences in float64."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends import to_numpy
from .backprop import forward

DEFAULT_STEP = 1e-5
# Denominator floor of the relative error: below it the difference is absolute,
# so an exact zero gradient (a dead ReLU unit) against central-difference
# round-off (~1e-10) does not read as a 100% error.
ERROR_FLOOR = 1e-6


@dataclass(frozen=True)
class GradcheckResult:
    """Per-layer maximum relative errors ``|g_bp - g_fd| / max(|g_bp|, |g_fd|, 1e-6)``.

    Attributes
    ----------
    weights, biases : list of float
        One entry per layer.
    checked : int
        How many parameters were perturbed.
    near_kinks : int
        Pre-activations of ReLU-type units so close to 0 that a step of ``h``
        can cross the kink. There the central difference averages the two
        slopes while backprop uses one, so large errors are expected and do
        not mean a wrong gradient (zero biases and dead units make exact
        zeros common).
    """

    weights: list[float]
    biases: list[float]
    checked: int
    near_kinks: int = 0

    @property
    def max_error(self) -> float:
        """The largest relative error over all layers."""
        return max(self.weights + self.biases)


def relative_error(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise ``|a - b| / max(|a|, |b|, ERROR_FLOOR)``."""
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), ERROR_FLOOR)


def gradcheck(
    net: Any,
    X: Any,
    Y: Any,
    step: float = DEFAULT_STEP,
    max_checks_per_layer: int | None = None,
    seed: int = 0,
) -> GradcheckResult:
    """Compare ``net.gradients(X, Y)`` with central differences of the loss.

    The backprop gradients are computed by ``net`` itself, on its own backend,
    device and dtype. The reference is computed on a float64 NumPy copy of the
    network: ``(C(θ + h) - C(θ - h)) / 2h`` for each parameter θ.

    Parameters
    ----------
    net : MLP
    X : array, shape (m, sizes[0])
    Y : array, targets as ``net.gradients`` accepts them
    step : float
        The central-difference step h.
    max_checks_per_layer : int or None
        Perturb at most this many randomly chosen entries of each weight
        matrix and bias vector (``None``: all of them).
    seed : int
        Seed for choosing those entries.

    Returns
    -------
    GradcheckResult
    """
    _, dW, db = net.gradients(X, Y)
    bp = [to_numpy(g).astype(np.float64) for pair in zip(dW, db) for g in pair]

    ref = net.clone(device="cpu", backend="numpy", dtype="float64")
    X64 = np.asarray(to_numpy(X), dtype=np.float64)
    Y_host = to_numpy(Y)
    params = [p for pair in zip(ref.weights, ref.biases) for p in pair]
    rng = np.random.default_rng(seed)
    errors, checked = [], 0
    for param, grad in zip(params, bp):
        flat = param.reshape(-1)  # a view: perturbing it perturbs the model
        idx = np.arange(flat.size)
        if max_checks_per_layer is not None and flat.size > max_checks_per_layer:
            idx = rng.choice(flat.size, size=max_checks_per_layer, replace=False)
        fd = np.empty(idx.size)
        for j, i in enumerate(idx):
            old = flat[i]
            flat[i] = old + step
            plus = float(ref.loss_value(X64, Y_host))
            flat[i] = old - step
            minus = float(ref.loss_value(X64, Y_host))
            flat[i] = old
            fd[j] = (plus - minus) / (2 * step)
        checked += idx.size
        errors.append(float(np.max(relative_error(grad.reshape(-1)[idx], fd))))
    return GradcheckResult(errors[0::2], errors[1::2], checked, count_near_kinks(ref, X64, step))


def count_near_kinks(net: Any, X: np.ndarray, step: float) -> int:
    """How many ReLU/leaky-ReLU pre-activations lie within reach of a step of ``step``."""
    zs, activations = forward(X, net.weights, net.biases, net.activations, xp=net.xp)
    count = 0
    for z, a_prev, act in zip(zs, activations, net.activations):
        if act.name in ("relu", "leaky_relu"):
            reach = step * (1.0 + np.max(np.abs(a_prev), initial=0.0))  # |Δz| from one step
            count += int(np.sum(np.abs(z) <= reach))
    return count
