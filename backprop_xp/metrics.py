"""Predictions and scores computed on the device from output activations.

Classification rules: a softmax output predicts ``argmax`` of its row; a
sigmoid output predicts each unit ``> 0.5`` (one unit: binary labels 0/1;
several: multi-label rows, scored by exact match of the whole row).
"""

from __future__ import annotations

from typing import Any

Array = Any


def predict_labels(a: Array, output: str, *, xp: Any) -> Array:
    """Class predictions from output activations ``a`` of shape (m, n_out).

    Returns (m,) integer labels for softmax and one sigmoid unit, (m, n_out)
    0/1 rows for several sigmoid units.
    """
    if output == "softmax":
        return xp.argmax(a, axis=1)
    labels = xp.astype(a > 0.5, xp.int64)
    return labels[:, 0] if a.shape[1] == 1 else labels


def correct_count(a: Array, Y: Array, output: str, *, xp: Any) -> Array:
    """Number of correctly classified rows (0-d array); ``Y`` holds one-hot or 0/1 rows."""
    if output == "softmax":
        hits = xp.argmax(a, axis=1) == xp.argmax(Y, axis=1)
    else:
        hits = xp.all((a > 0.5) == (Y > 0.5), axis=1)
    return xp.sum(xp.astype(hits, a.dtype))


def mean_squared_error(a: Array, Y: Array, *, xp: Any) -> Array:
    """``mean((a - y)²)`` over all entries (without the ½ of the mse loss)."""
    return xp.mean((a - Y) ** 2)


def r2_score(a: Array, Y: Array, *, xp: Any) -> Array:
    """Coefficient of determination, averaged uniformly over output columns."""
    ss_res = xp.sum((Y - a) ** 2, axis=0)
    ss_tot = xp.sum((Y - xp.mean(Y, axis=0)) ** 2, axis=0)
    one = xp.ones_like(ss_tot)
    # A constant target column scores 1 when predicted exactly, else 0 (scikit-learn's rule).
    safe = xp.where(ss_tot > 0, ss_tot, one)
    score = xp.where(ss_tot > 0, 1.0 - ss_res / safe, xp.where(ss_res == 0, one, 0.0 * one))
    return xp.mean(score)
