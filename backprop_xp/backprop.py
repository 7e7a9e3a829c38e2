"""The forward pass and the four backpropagation equations, as pure functions.

Layers are numbered from 0 in code: ``weights[l]`` (shape ``(n_out, n_in)``)
and ``biases[l]`` (shape ``(n_out,)``) map ``a[l]`` to ``z[l] = a[l] @ W[l].T + b[l]``
and ``a[l+1] = act_l(z[l])``; ``a[0]`` is the input batch ``X``. A batch holds m
samples as rows.

=====  ============================================  =============================
name   row-batch form (this code)                    column form of the derivation
=====  ============================================  =============================
BP1    δ[L] = ∂C/∂a[L] ⊙ act'(z[L])                  δ^L = ∂C/∂a^L ⊙ σ'(Z^L)
BP2    δ[l] = (δ[l+1] @ W[l+1]) ⊙ act'(z[l])         δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(Z^l)
BP3    db[l] = Σ_rows δ[l] / m                       ∂C/∂b = δ
BP4    dW[l] = δ[l]ᵀ @ a[l] / m                      ∂C/∂W = δ aᵀ
=====  ============================================  =============================

Nothing here imports an array library: every function takes the namespace as
``xp=``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .activations import Activation
from .losses import loss_value, output_delta, softmax_cross_entropy

Array = Any


@dataclass(frozen=True)
class Trace:
    """Every intermediate quantity of one forward and backward pass.

    Attributes
    ----------
    z : list of arrays, ``z[l]`` of shape (m, sizes[l+1])
        Weighted inputs of each layer.
    a : list of arrays, ``a[l]`` of shape (m, sizes[l])
        Activations; ``a[0]`` is the input batch, ``a[-1]`` the output.
    delta : list of arrays, ``delta[l]`` of shape (m, sizes[l+1])
        Errors ∂C_x/∂z[l] per sample (δ of the derivation), from BP1 and BP2.
    dW, db : lists of arrays shaped like the weights and biases
        Batch-averaged gradients from BP4 and BP3.
    loss : 0-d array
        The batch-averaged cost.
    """

    z: list[Array]
    a: list[Array]
    delta: list[Array]
    dW: list[Array]
    db: list[Array]
    loss: Array


def layer_forward(a_prev: Array, W: Array, b: Array, act: Activation, *, xp: Any):
    """z = a_prev @ Wᵀ + b, a = act(z); shapes (m, n_in) -> (m, n_out)."""
    z = xp.matmul(a_prev, W.T)  # (m, n_out), a new array this function owns
    z += b  # in place: saves allocating a second (m, n_out) array
    return z, act.fn(z, xp=xp)


def forward(
    X: Array,
    weights: Sequence[Array],
    biases: Sequence[Array],
    acts: Sequence[Activation],
    *,
    xp: Any,
) -> tuple[list[Array], list[Array]]:
    """Forward pass. Returns ``(z, a)`` with ``len(a) == len(z) + 1`` and ``a[0] is X``."""
    zs: list[Array] = []
    activations = [X]
    for W, b, act in zip(weights, biases, acts):
        z, a = layer_forward(activations[-1], W, b, act, xp=xp)
        zs.append(z)
        activations.append(a)
    return zs, activations


def hidden_delta(
    delta_next: Array, W_next: Array, z: Array, a: Array, act: Activation, *, xp: Any
) -> Array:
    """BP2: δ[l] = (δ[l+1] @ W[l+1]) ⊙ act'(z[l]); (m, n_{l+2}) -> (m, n_{l+1})."""
    return act.vjp(z, a, xp.matmul(delta_next, W_next), xp=xp)


def bias_gradient(delta: Array, *, xp: Any) -> Array:
    """BP3: db = Σ_rows δ / m, shape (n_out,)."""
    return xp.sum(delta, axis=0) / delta.shape[0]


def weight_gradient(delta: Array, a_prev: Array, *, xp: Any) -> Array:
    """BP4: dW = δᵀ @ a_prev / m, shape (n_out, n_in) like W."""
    m, n_in = delta.shape[0], a_prev.shape[1]
    # The 1/m goes on the smaller operand: δ (m·n_out numbers) when m < n_in,
    # else the product (n_out·n_in numbers). Same value, less elementwise work.
    if m < n_in:
        return xp.matmul((delta / m).T, a_prev)
    dW = xp.matmul(delta.T, a_prev)
    dW /= m
    return dW


def backprop(
    X: Array,
    Y: Array,
    weights: Sequence[Array],
    biases: Sequence[Array],
    acts: Sequence[Activation],
    loss: str,
    *,
    xp: Any,
) -> Trace:
    """One forward and backward pass over a batch.

    Parameters
    ----------
    X : array, shape (m, sizes[0])
        Input batch.
    Y : array, shape (m, sizes[-1])
        Targets as rows (one-hot or probabilities for classification).
    weights, biases : sequences of arrays
        ``W[l]`` of shape (n_out, n_in) and ``b[l]`` of shape (n_out,).
    acts : sequence of Activation
        One per layer; the last is the output activation.
    loss : str
        ``"mse"`` or ``"cross_entropy"``.

    Returns
    -------
    Trace
        z, a, δ per layer, the batch-averaged gradients and the loss.
    """
    n = len(weights)
    zs, activations = forward(X, weights[:-1], biases[:-1], acts[:-1], xp=xp)  # hidden layers
    z, a, value = output_layer(activations[-1], weights[-1], biases[-1], acts[-1], Y, loss, xp=xp)
    zs.append(z)
    activations.append(a)
    deltas: list[Array] = [None] * n
    deltas[-1] = output_delta(loss, acts[-1], z, a, Y, xp=xp)  # BP1
    for l in range(n - 2, -1, -1):
        deltas[l] = hidden_delta(
            deltas[l + 1], weights[l + 1], zs[l], activations[l + 1], acts[l], xp=xp
        )  # BP2
    dW = [weight_gradient(d, a, xp=xp) for d, a in zip(deltas, activations)]  # BP4
    db = [bias_gradient(d, xp=xp) for d in deltas]  # BP3
    return Trace(zs, activations, deltas, dW, db, value)


def output_layer(
    a_prev: Array, W: Array, b: Array, act: Activation, Y: Array, loss: str, *, xp: Any
) -> tuple[Array, Array, Array]:
    """The output layer's z and a, and the cost C(a, Y) as a 0-d array.

    Softmax with cross-entropy computes a and C from one log_softmax (the same
    values as ``layer_forward`` and ``loss_value``, with less work).
    """
    if loss == "cross_entropy" and act.name == "softmax":
        z = xp.matmul(a_prev, W.T)  # (m, n_out)
        z += b
        a, value = softmax_cross_entropy(z, Y, xp=xp)
        return z, a, value
    z, a = layer_forward(a_prev, W, b, act, xp=xp)
    return z, a, loss_value(loss, act.name, z, a, Y, xp=xp)
