"""Optimizers as small explicit-state pairs: ``init(params) -> state`` and
``update(params, grads, state) -> (params, state)``.

Parameters and gradients are lists of arrays (weights and biases interleaved by
the caller); the state is a NamedTuple of lists of arrays on the same device.
Nothing here imports an array library: every function takes ``xp=``.

The update rules follow the conventions of ``torch.optim`` so the two can be
compared step for step:

* SGD with momentum μ, dampening 0:  ``v ← μ v + g``; step ``g + μ v`` (Nesterov)
  or ``v``; ``θ ← θ - lr · step``. Weight decay λ adds ``λ θ`` to ``g`` first.
* Adam (Kingma & Ba, bias-corrected): ``m ← β₁ m + (1-β₁) g``,
  ``v ← β₂ v + (1-β₂) g²``, ``θ ← θ - lr · m̂ / (√v̂ + ε)``; weight decay is the
  coupled L2 form (added to ``g``), as in ``torch.optim.Adam``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

Array = Any


def _check_positive(name: str, value: float, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


def add_weight_decay(
    params: Sequence[Array],
    grads: Sequence[Array],
    weight_decay: float,
    decay: Sequence[bool] | None = None,
    in_place: bool = False,
) -> list[Array]:
    """The L2 term: ``g + λ θ`` (the gradient of ``λ/2 ||θ||²``) where ``decay`` is true.

    ``decay`` marks which parameters are decayed (the model passes weights only,
    not biases, as in Nielsen's regularised cost); ``None`` decays all. With
    ``in_place`` the sum is written into ``grads`` (same values).
    """
    if weight_decay == 0.0:
        return list(grads)
    if decay is None:
        decay = [True] * len(params)
    if not in_place:
        return [g + weight_decay * p if d else g for p, g, d in zip(params, grads, decay)]
    for p, g, d in zip(params, grads, decay):
        if d:
            g += weight_decay * p
    return list(grads)


class SGDState(NamedTuple):
    """Momentum buffers (``None`` when momentum is 0)."""

    velocity: list[Array] | None


class AdamState(NamedTuple):
    """Step count and the first/second moment estimates."""

    step: int
    m: list[Array]
    v: list[Array]


class SGD:
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay.

    Parameters
    ----------
    lr : float
        Learning rate η (> 0).
    momentum : float
        Momentum μ in [0, 1).
    nesterov : bool
        Use Nesterov momentum (needs ``momentum > 0``).
    weight_decay : float
        L2 coefficient λ (>= 0).
    """

    def __init__(
        self, lr: float, momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0
    ) -> None:
        self.lr = _check_positive("lr", lr)
        self.momentum = _check_positive("momentum", momentum, allow_zero=True)
        if self.momentum >= 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
            f"weight_decay={self.weight_decay})"
        )

    def config(self) -> dict[str, Any]:
        """The constructor arguments (for history files)."""
        return {
            "name": "sgd",
            "lr": self.lr,
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }

    def init(self, params: Sequence[Array], *, xp: Any) -> SGDState:
        """Zero velocity buffers shaped like ``params`` (none without momentum)."""
        if self.momentum == 0.0:
            return SGDState(None)
        return SGDState([xp.zeros_like(p) for p in params])

    def update(
        self,
        params: Sequence[Array],
        grads: Sequence[Array],
        state: SGDState,
        *,
        xp: Any,
        decay: Sequence[bool] | None = None,
        in_place: bool = False,
    ) -> tuple[list[Array], SGDState]:
        """One step: returns new parameters and state.

        With ``in_place=False`` nothing passed in is modified. With
        ``in_place=True`` the parameters and the state are updated in place
        (fewer allocations; the values are bit-identical) and ``grads`` is used
        as scratch space.
        """
        grads = add_weight_decay(params, grads, self.weight_decay, decay, in_place)
        lr, mu = self.lr, self.momentum
        if state.velocity is None:
            if not in_place:
                return [p - lr * g for p, g in zip(params, grads)], state
            for p, g in zip(params, grads):
                g *= lr
                p -= g
            return list(params), state
        if in_place:
            velocity = list(state.velocity)
            for v, g in zip(velocity, grads):
                v *= mu
                v += g
        else:
            velocity = [mu * v + g for v, g in zip(state.velocity, grads)]
        if self.nesterov:
            steps = [g + mu * v for g, v in zip(grads, velocity)]
        else:
            steps = velocity
        if not in_place:
            return [p - lr * s for p, s in zip(params, steps)], SGDState(velocity)
        for p, s in zip(params, steps):
            p -= lr * s
        return list(params), SGDState(velocity)


class Adam:
    """Adam with bias correction and optional (coupled, L2) weight decay.

    Parameters
    ----------
    lr : float
        Step size (> 0).
    betas : (float, float)
        Decay rates β₁, β₂ of the moment estimates, each in [0, 1).
    eps : float
        Added to √v̂ for numerical stability (> 0).
    weight_decay : float
        L2 coefficient λ (>= 0).
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.lr = _check_positive("lr", lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"betas must be a pair of floats, got {betas!r}") from None
        for i, beta in enumerate((beta1, beta2)):
            _check_positive(f"betas[{i}]", beta, allow_zero=True)
            if beta >= 1.0:
                raise ValueError(f"betas[{i}] must be in [0, 1), got {beta!r}")
        self.betas = (float(beta1), float(beta2))
        self.eps = _check_positive("eps", eps)
        self.weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )

    def config(self) -> dict[str, Any]:
        """The constructor arguments (for history files)."""
        return {
            "name": "adam",
            "lr": self.lr,
            "betas": list(self.betas),
            "eps": self.eps,
            "weight_decay": self.weight_decay,
        }

    def init(self, params: Sequence[Array], *, xp: Any) -> AdamState:
        """Zero moment estimates shaped like ``params``."""
        return AdamState(0, [xp.zeros_like(p) for p in params], [xp.zeros_like(p) for p in params])

    def update(
        self,
        params: Sequence[Array],
        grads: Sequence[Array],
        state: AdamState,
        *,
        xp: Any,
        decay: Sequence[bool] | None = None,
        in_place: bool = False,
    ) -> tuple[list[Array], AdamState]:
        """One step: returns new parameters and state (see :meth:`SGD.update` for ``in_place``)."""
        grads = add_weight_decay(params, grads, self.weight_decay, decay, in_place)
        beta1, beta2 = self.betas
        t = state.step + 1
        if in_place:
            m, v = list(state.m), list(state.v)
            for m_, v_, g in zip(m, v, grads):
                m_ *= beta1
                m_ += (1.0 - beta1) * g
                v_ *= beta2
                g *= g
                g *= 1.0 - beta2
                v_ += g
        else:
            m = [beta1 * m_ + (1.0 - beta1) * g for m_, g in zip(state.m, grads)]
            v = [beta2 * v_ + ((g * g) * (1.0 - beta2)) for v_, g in zip(state.v, grads)]
        # Bias correction folded into scalars (host floats, no device work):
        # θ - lr m/(1-β₁ᵗ) / (√(v/(1-β₂ᵗ)) + ε) = θ - step · m / (√v + ε √(1-β₂ᵗ)).
        c1 = 1.0 - beta1**t
        c2 = 1.0 - beta2**t
        step_size = self.lr / c1 * math.sqrt(c2)
        eps_hat = self.eps * math.sqrt(c2)
        steps = [step_size * (m_ / (xp.sqrt(v_) + eps_hat)) for m_, v_ in zip(m, v)]
        if not in_place:
            return [p - s for p, s in zip(params, steps)], AdamState(t, m, v)
        for p, s in zip(params, steps):
            p -= s
        return list(params), AdamState(t, m, v)


OPTIMIZERS = {"sgd": SGD, "adam": Adam}


def make_optimizer(name: str, **kwargs: Any) -> SGD | Adam:
    """Build an optimizer from its name (``"sgd"`` or ``"adam"``)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name](**kwargs)
