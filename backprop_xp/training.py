"""The training loop: mini-batches, epochs, validation, early stopping, divergence.

``fit`` moves the data to the model's device once, cuts every batch there with
``xp.take`` and draws shuffles from one seeded host generator, so a seeded run
on NumPy is reproducible bit for bit. Per step it stays on the device; the host
synchronises once per epoch (to read the epoch's loss and accuracy).
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import inputs

Array = Any
Callback = Callable[[Any, dict[str, Any]], Any]


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss became NaN or infinite."""


@dataclass
class History:
    """Per-epoch record of a ``fit`` run.

    Attributes
    ----------
    epoch : list of int
        1-based epoch numbers.
    loss : list of float
        Mean training loss over the epoch's batches.
    accuracy : list of float or None
        Training accuracy over the epoch's batches (classifiers only).
    val_loss, val_accuracy : list of float or None
        On the validation data at the end of each epoch (``None`` without it).
    seconds : list of float
        Wall time of each epoch.
    best_epoch : int or None
        The epoch whose weights the model holds after early stopping.
    stopped : str
        Why training ended: ``"completed"``, ``"early_stopping"``, ``"callback"``
        or ``"diverged"``.
    """

    epoch: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped: str = "completed"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN stored as ``null``)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, list):
                return [clean(x) for x in v]
            return v

        return {k: clean(v) for k, v in asdict(self).items()}

    def save(self, path: str | Path) -> None:
        """Write the history as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @property
    def total_seconds(self) -> float:
        """Wall time of all epochs."""
        return float(sum(self.seconds))


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _as_arrays(X: Any, y: Any) -> tuple[Any, Any]:
    """Nested sequences become NumPy arrays; arrays of any library pass through."""
    X = X if hasattr(X, "__array_namespace__") else inputs._host(X, "X")
    y = y if hasattr(y, "__array_namespace__") else inputs._host(y, "y")
    return X, y


def split_validation(
    X: np.ndarray, y: np.ndarray, fraction: float, rng: np.random.Generator
) -> tuple[Any, Any, Any, Any]:
    """Hold out a random ``fraction`` of the rows (drawn from ``rng``) for validation."""
    n = X.shape[0]
    n_val = round(n * fraction)
    if n_val < 1 or n_val >= n:
        raise ValueError(
            f"validation_split={fraction} leaves {n - n_val} training and {n_val} validation "
            f"samples out of {n}; both need at least one"
        )
    perm = rng.permutation(n)
    val, train = perm[:n_val], perm[n_val:]
    return X[train], y[train], X[val], y[val]


def _snapshot(net: Any) -> tuple[list[Array], list[Array]]:
    xp = net.xp
    return [xp.asarray(W, copy=True) for W in net.weights], [
        xp.asarray(b, copy=True) for b in net.biases
    ]


def fit(
    net: Any,
    X: Any,
    y: Any,
    epochs: int = 10,
    batch_size: int = 32,
    optimizer: Any = None,
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    shuffle: bool = True,
    seed: int | None = None,
    early_stopping: bool = False,
    patience: int = 10,
    min_delta: float = 0.0,
    restore_best_weights: bool = True,
    progress: bool = False,
    callbacks: Sequence[Callback] | None = None,
) -> History:
    """Train ``net`` by mini-batch gradient descent. See :meth:`MLP.fit`."""
    from .optimizers import SGD

    epochs = _check_int("epochs", epochs, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    patience = _check_int("patience", patience, 1)
    if optimizer is None:
        optimizer = SGD(lr=0.1)
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        raise TypeError(f"optimizer must be bx.SGD(...) or bx.Adam(...), got {optimizer!r}")
    if not isinstance(validation_split, (int, float)) or not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
    if validation_data is not None and validation_split:
        raise ValueError("give validation_data or validation_split, not both")
    callbacks = list(callbacks or [])
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables, got {cb!r}")

    rng = np.random.default_rng(seed)
    X, y = _as_arrays(X, y)
    if validation_split:
        X, y, X_val, y_val = split_validation(
            inputs._host(X, "X"), inputs._host(y, "y"), validation_split, rng
        )
        validation_data = (X_val, y_val)
    elif validation_data is not None:
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise TypeError("validation_data must be a pair (X_val, y_val)") from None
        validation_data = _as_arrays(X_val, y_val)

    backend, xp = net._backend, net.xp
    with backend.context():
        # Data goes to the device once and is checked there (one host sync per
        # array), before any training; every batch is then cut on the device.
        X_dev = net._features(X)
        Y_dev = net._targets(y, X_dev.shape[0])
        inputs.check_finite(backend, X_dev, "X")
        inputs.check_finite(backend, Y_dev, "y")
        if validation_data is not None:
            Xv = inputs.as_features(
                backend, net.dtype, validation_data[0], net.sizes[0], name="validation_data X"
            )
            Yv = inputs.as_targets(
                backend,
                net.dtype,
                validation_data[1],
                Xv.shape[0],
                net.sizes[-1],
                name="validation_data y",
            )
            inputs.check_finite(backend, Xv, "validation_data X")
            inputs.check_finite(backend, Yv, "validation_data y")
    m = X_dev.shape[0]
    n_batches = math.ceil(m / batch_size)
    history = History()
    monitor = "val_loss" if validation_data is not None else "loss"
    best, best_params, waited = math.inf, None, 0
    # The same optimizer object resumes its state (momentum, Adam moments), so
    # fitting in several calls continues where the last one stopped.
    if net._opt_state is not None and net._opt_state[0] is optimizer:
        state = net._opt_state[1]
    else:
        state = optimizer.init(net.weights + net.biases, xp=xp)
    order = np.arange(m)
    bar = _Progress(progress, epochs)

    # Overflow on the way to a NaN is detected and reported below, once, as a
    # DivergenceWarning; NumPy's own per-operation warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore"), bar:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            previous = _snapshot(net)  # updates are in place: keep a copy
            perm = rng.permutation(m) if shuffle else order
            with backend.context():
                perm_dev = backend.asarray(perm, xp.int64)
                loss_sum, correct_sum = None, None
                for i in range(n_batches):
                    # the standard leaves out-of-range slice ends undefined: clamp to m
                    idx = perm_dev[i * batch_size : min((i + 1) * batch_size, m)]
                    Xb = xp.take(X_dev, idx, axis=0)  # (mb, n_in)
                    Yb = xp.take(Y_dev, idx, axis=0)  # (mb, n_out)
                    loss, correct, state = net._update(
                        Xb, Yb, optimizer, state, count_correct=net.is_classifier
                    )
                    mb = Xb.shape[0]
                    loss_sum = loss * mb if loss_sum is None else loss_sum + loss * mb
                    if correct is not None:
                        correct_sum = correct if correct_sum is None else correct_sum + correct
                # One host sync per epoch: the loss and whether the weights are finite.
                check = loss_sum + sum(xp.sum(W) for W in net.weights)
                finite = bool(xp.isfinite(check))
                train_loss = float(loss_sum) / m
            if not finite:
                net.weights, net.biases = previous
                history.stopped = "diverged"
                what = "the loss" if not math.isfinite(train_loss) else "the weights"
                history.message = (
                    f"training diverged in epoch {epoch}: {what} became NaN or infinite; "
                    f"kept the last finite weights (end of epoch {epoch - 1}). "
                    f"Try a smaller learning rate."
                )
                break
            record: dict[str, Any] = {"epoch": epoch, "loss": train_loss}
            record["accuracy"] = float(correct_sum) / m if correct_sum is not None else None
            if validation_data is not None:
                scores = net._scores(Xv, Yv)
                record["val_loss"], record["val_accuracy"] = scores["loss"], scores.get("accuracy")
            else:
                record["val_loss"], record["val_accuracy"] = None, None
            record["seconds"] = time.perf_counter() - start
            for key in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"):
                getattr(history, key).append(record[key])
            bar.update(record)

            current = record[monitor]
            if early_stopping:
                if current < best - min_delta:
                    best, best_params, waited = current, _snapshot(net), 0
                    history.best_epoch = epoch
                else:
                    waited += 1
                    if waited >= patience:
                        history.stopped = "early_stopping"
                        history.message = (
                            f"early stopping: {monitor} did not improve for {patience} epochs; "
                            f"restored the weights of epoch {history.best_epoch}"
                        )
                        break
            if any(cb(net, record) is True for cb in callbacks):
                history.stopped = "callback"
                history.message = f"a callback stopped training after epoch {epoch}"
                break
    # a diverged run's optimizer state holds NaN/inf: do not resume from it
    net._opt_state = None if history.stopped == "diverged" else (optimizer, state)
    if early_stopping and restore_best_weights and best_params is not None:
        net.weights, net.biases = best_params
    if history.stopped == "diverged":
        warnings.warn(history.message, DivergenceWarning, stacklevel=3)
    return history


class _Progress:
    """A rich progress bar with live loss/accuracy, or nothing when disabled/unavailable."""

    def __init__(self, enabled: bool, epochs: int) -> None:
        self._progress = None
        self._plain = False
        if not enabled:
            return
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
        except ImportError:
            self._plain = True
            return
        self._progress = Progress(
            TextColumn("[bold]epoch"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self._task = self._progress.add_task("fit", total=epochs, stats="")
        self._progress.start()

    @staticmethod
    def _stats(record: dict[str, Any]) -> str:
        parts = [f"loss {record['loss']:.4f}"]
        if record.get("accuracy") is not None:
            parts.append(f"acc {record['accuracy']:.3f}")
        if record.get("val_loss") is not None:
            parts.append(f"val_loss {record['val_loss']:.4f}")
        if record.get("val_accuracy") is not None:
            parts.append(f"val_acc {record['val_accuracy']:.3f}")
        return "  ".join(parts)

    def update(self, record: dict[str, Any]) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, stats=self._stats(record))
        elif self._plain:
            print(f"epoch {record['epoch']}: {self._stats(record)}", flush=True)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
