"""Cost functions: their value (from the logits) and the output error δ^L (BP1).

Definitions, for a batch of m samples as rows:

- ``"mse"``: C = 1/(2m) Σ_samples ||a - y||².
- ``"cross_entropy"`` with softmax output: C = -1/m Σ y · log a (categorical).
- ``"cross_entropy"`` with sigmoid output:
  C = -1/m Σ [y log a + (1 - y) log(1 - a)] (binary, per output unit).

δ^L here is the per-sample error ∂C_x/∂z^L; the 1/m of the batch average is
applied once, in BP3 and BP4.
"""

from __future__ import annotations

from typing import Any

from .activations import Activation, log_softmax

Array = Any
LOSSES = ("mse", "cross_entropy")
# Output activations whose cross-entropy gradient collapses to a - y.
CROSS_ENTROPY_OUTPUTS = ("softmax", "sigmoid")


def check_loss_output(loss: str, output: str) -> None:
    """Raise ``ValueError`` unless ``loss`` is defined for ``output``."""
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if loss == "cross_entropy" and output not in CROSS_ENTROPY_OUTPUTS:
        raise ValueError(
            f"loss='cross_entropy' needs output='softmax' (categorical) or output='sigmoid' "
            f"(binary), got output={output!r}; use loss='mse' for that output"
        )


def softplus(x: Array, *, xp: Any) -> Array:
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^{-|x|})."""
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def softmax_cross_entropy(z: Array, y: Array, *, xp: Any) -> tuple[Array, Array]:
    """Softmax output a = exp(log_softmax(z)) and C = -1/m Σ y · log a, sharing one log_softmax."""
    log_a = log_softmax(z, xp=xp)  # (m, n_out)
    return xp.exp(log_a), -xp.sum(y * log_a) / z.shape[0]


def loss_value(loss: str, output: str, z: Array, a: Array, y: Array, *, xp: Any) -> Array:
    """The batch-averaged cost C as a 0-d array.

    Parameters
    ----------
    loss, output : str
        Loss and output-activation names.
    z : array, shape (m, n_out)
        Output logits z^L; cross-entropy is computed from them so it never
        takes log(0) or overflows.
    a : array, shape (m, n_out)
        Output activations a^L = act(z^L).
    y : array, shape (m, n_out)
        Targets (one-hot or probability rows for classification).
    """
    m = z.shape[0]
    if loss == "mse":
        r = a - y
        return xp.sum(r * r) / (2 * m)
    if output == "softmax":
        return -xp.sum(y * log_softmax(z, xp=xp)) / m
    # Binary cross-entropy from logits: with log σ(z) = -softplus(-z) and
    # log(1 - σ(z)) = -softplus(z), the summand is softplus(z) - y z.
    return xp.sum(softplus(z, xp=xp) - y * z) / m


def output_delta(loss: str, output: Activation, z: Array, a: Array, y: Array, *, xp: Any) -> Array:
    """BP1: δ^L = ∂C/∂a^L ⊙ act'(z^L), per sample, shape (m, n_out).

    For softmax + categorical cross-entropy and for sigmoid + binary
    cross-entropy the product collapses to ``a - y``: the 1/a (or 1/(a(1-a)))
    in ∂C/∂a cancels exactly against act'(z). The collapsed form is used
    because it is cheaper and because the uncollapsed one divides by an a
    that rounds to 0 when a unit saturates, giving inf · 0 = NaN.
    """
    if loss == "cross_entropy":
        return a - y
    # mse: ∂C_x/∂a = a - y; the VJP applies act'(z) (a Jacobian product for softmax).
    return output.vjp(z, a, a - y, xp=xp)
