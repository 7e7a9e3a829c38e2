"""Checking user data and moving it onto the model's device (never mutating it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backends import Backend, to_numpy

Array = Any


def _host(array: Any, name: str) -> np.ndarray:
    try:
        return to_numpy(array)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name} must be an array or nested sequence, got {type(array)!r}") from exc


def as_features(backend: Backend, dtype: Any, X: Any, n_features: int, name: str = "X") -> Array:
    """``X`` as a ``(m, n_features)`` array of ``dtype`` on the backend's device.

    Raises ``ValueError`` for a wrong number of dimensions or features and for an
    empty batch.
    """
    if backend.is_native(X, dtype):  # fast path: already ours (train_step on device batches)
        shape = X.shape
        if len(shape) == 2 and shape[1] == n_features and shape[0] > 0:
            return X
    if not backend.owns(X) or isinstance(X, np.ndarray):
        X = _host(X, name)
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got dtype {X.dtype}")
    shape = tuple(X.shape)
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-D (samples, features), got shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples")
    if shape[1] != n_features:
        raise ValueError(
            f"{name} has {shape[1]} features per sample, but the network expects "
            f"{n_features} (sizes[0])"
        )
    if not backend.owns(X):
        return backend.asarray(X, dtype)
    # astype copies, so the caller's array is never modified through ours.
    return X if X.dtype == dtype else backend.xp.astype(X, dtype)


def as_targets(backend: Backend, dtype: Any, y: Any, m: int, n_out: int, name: str = "y") -> Array:
    """Targets as ``(m, n_out)`` rows of ``dtype`` on the device.

    A 1-D ``y`` is read as integer class labels (one-hot encoded) when the
    network has several outputs, and as the target values themselves when it
    has one output.
    """
    if backend.is_native(y, dtype) and tuple(y.shape) == (m, n_out):  # fast path: device rows
        return y
    xp = backend.xp
    owned = backend.owns(y) and not isinstance(y, np.ndarray)
    if not owned:
        y = _host(y, name)
        if y.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got dtype {y.dtype}")
    shape = tuple(y.shape)
    if len(shape) == 0 or len(shape) > 2:
        raise ValueError(f"{name} must be 1-D labels or 2-D rows, got shape {shape}")
    if shape[0] != m:
        raise ValueError(f"X has {m} samples but {name} has {shape[0]}; they must match")
    if len(shape) == 2:
        if shape[1] != n_out:
            raise ValueError(
                f"{name} has {shape[1]} columns, but the network has {n_out} outputs (sizes[-1])"
            )
        return as_features(backend, dtype, y, n_out, name=name)
    if n_out == 1:
        return as_features(
            backend, dtype, xp.reshape(y, (m, 1)) if owned else y.reshape(m, 1), 1, name=name
        )
    return one_hot(backend, dtype, y, n_out, name=name)


def one_hot(backend: Backend, dtype: Any, labels: Any, k: int, name: str = "y") -> Array:
    """Integer labels ``(m,)`` -> one-hot rows ``(m, k)`` on the device, after a range check."""
    xp = backend.xp
    host = labels if isinstance(labels, np.ndarray) else to_numpy(labels)
    if host.dtype.kind == "f":
        if not np.all(np.isfinite(host)) or np.any(host != np.round(host)):
            raise ValueError(f"{name} must hold integer class labels, got non-integer values")
    elif host.dtype.kind not in "biu":
        raise TypeError(f"{name} must hold integer class labels, got dtype {host.dtype}")
    lo, hi = host.min(), host.max()
    if lo < 0 or hi >= k:
        raise ValueError(
            f"{name} holds class labels in [{lo:g}, {hi:g}], but the network has {k} outputs, "
            f"so labels must lie in [0, {k - 1}]"
        )
    with backend.context():
        index = backend.asarray(host.astype(np.int64), xp.int64)
        classes = xp.arange(k, dtype=xp.int64, device=backend.device)
        return xp.astype(index[:, None] == classes, dtype)  # (m, k)


def check_finite(backend: Backend, array: Array, name: str) -> None:
    """Raise ``ValueError`` if ``array`` holds NaN or ±inf (one host sync)."""
    xp = backend.xp
    with backend.context():
        if not bool(xp.all(xp.isfinite(array))):
            raise ValueError(f"{name} contains NaN or infinite values; clean the data first")
