"""Activation functions and their backward rules.

Every activation is a pair of pure functions:

- ``fn(z, *, xp) -> a``: the forward map, shape-preserving, ``(m, n)``.
- ``vjp(z, a, g, *, xp) -> g ⊙ act'(z)``: the vector-Jacobian product that BP1
  and BP2 need. It receives both ``z`` and ``a = fn(z)`` so each rule can use the
  cheaper one (sigmoid and tanh reuse ``a``; ReLU looks at ``z``).

Softmax is not elementwise: its Jacobian is ``diag(a) - a aᵀ`` per row, so the
product with ``g`` is ``a ⊙ (g - Σ g ⊙ a)``. Writing every backward as a VJP lets
softmax use the same slot as the elementwise activations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import array_api_compat

Array = Any
LEAKY_SLOPE = 0.01


_ZEROS: dict[tuple[Any, ...], Array] = {}


def _zero(z: Array, *, xp: Any) -> Array:
    """A cached 0-d zero of ``z``'s dtype on ``z``'s device (torch's ``where`` rejects scalars)."""
    try:
        key: tuple[Any, ...] = (id(xp), z.dtype, z.device)  # cheap; all four libraries have it
        zero = _ZEROS.get(key)
    except (AttributeError, TypeError):  # no .device, or an unhashable device object
        key = (id(xp), str(z.dtype), str(array_api_compat.device(z)))
        zero = _ZEROS.get(key)
    if zero is None:
        zero = _ZEROS[key] = xp.zeros((), dtype=z.dtype, device=array_api_compat.device(z))
    return zero


# --- sigmoid ---------------------------------------------------------------
def sigmoid(z: Array, *, xp: Any) -> Array:
    """σ(z) = 1 / (1 + e^{-z}), computed from e^{-|z|} so it never overflows."""
    e = xp.exp(-xp.abs(z))  # in (0, 1]
    return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_vjp(z: Array, a: Array, g: Array, *, xp: Any) -> Array:
    """g ⊙ σ'(z), with σ'(z) = a (1 - a)."""
    return g * a * (1.0 - a)


# --- tanh ------------------------------------------------------------------
def tanh(z: Array, *, xp: Any) -> Array:
    """tanh(z)."""
    return xp.tanh(z)


def tanh_vjp(z: Array, a: Array, g: Array, *, xp: Any) -> Array:
    """g ⊙ tanh'(z), with tanh'(z) = 1 - a²."""
    return g * (1.0 - a * a)


# --- relu ------------------------------------------------------------------
# ``maximum`` and a multiply by the 0/1 mask are several times faster than
# ``where`` on NumPy (benchmarks/NOTES.md) and give the same values.
def relu(z: Array, *, xp: Any) -> Array:
    """max(z, 0)."""
    return xp.maximum(z, _zero(z, xp=xp))


def relu_vjp(z: Array, a: Array, g: Array, *, xp: Any) -> Array:
    """g ⊙ 1[z > 0] (the subgradient 0 is taken at z = 0)."""
    return g * xp.astype(z > 0, g.dtype)


# --- leaky relu ------------------------------------------------------------
def leaky_relu(z: Array, *, xp: Any) -> Array:
    """z for z > 0, 0.01 z otherwise."""
    return xp.where(z > 0, z, LEAKY_SLOPE * z)


def leaky_relu_vjp(z: Array, a: Array, g: Array, *, xp: Any) -> Array:
    """g ⊙ (1 if z > 0 else 0.01)."""
    return xp.where(z > 0, g, LEAKY_SLOPE * g)


# --- identity --------------------------------------------------------------
def identity(z: Array, *, xp: Any) -> Array:
    """z."""
    return z


def identity_vjp(z: Array, a: Array, g: Array, *, xp: Any) -> Array:
    """g."""
    return g


# --- softmax (rows) --------------------------------------------------------
def log_softmax(z: Array, *, xp: Any) -> Array:
    """Row-wise log softmax: z - max - log Σ exp(z - max), finite for any finite z."""
    shifted = z - xp.max(z, axis=1, keepdims=True)  # (m, n), max entry 0
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def softmax(z: Array, *, xp: Any) -> Array:
    """Row-wise softmax, as exp(log_softmax(z)).

    Going through the log form lets backprop compute the output and the
    cross-entropy from one log-sum-exp, with bit-identical outputs here and there.
    """
    return xp.exp(log_softmax(z, xp=xp))


def softmax_vjp(z: Array, a: Array, g: Array, *, xp: Any) -> Array:
    """(diag(a) - a aᵀ) g per row, i.e. a ⊙ (g - Σ_k g_k a_k)."""
    return a * (g - xp.sum(g * a, axis=1, keepdims=True))


@dataclass(frozen=True)
class Activation:
    """A named activation: forward map and its vector-Jacobian product."""

    name: str
    fn: Callable[..., Array]
    vjp: Callable[..., Array]
    zero_at_zero: bool  # φ(0) = 0: all-zero weights give no learning signal


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_vjp, False),
    "tanh": Activation("tanh", tanh, tanh_vjp, True),
    "relu": Activation("relu", relu, relu_vjp, True),
    "leaky_relu": Activation("leaky_relu", leaky_relu, leaky_relu_vjp, True),
    "identity": Activation("identity", identity, identity_vjp, True),
    "softmax": Activation("softmax", softmax, softmax_vjp, False),
}
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
OUTPUT_ACTIVATIONS = ("identity", "sigmoid", "softmax", "tanh", "relu")


def get_activation(name: str, *, argument: str, allowed: tuple[str, ...]) -> Activation:
    """Look up an activation by name; ``argument`` names the parameter in the error."""
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"{argument} must be one of {allowed}, got {name!r}")
    return ACTIVATIONS[name]
