"""``MLP``: the thin stateful shell around the pure backprop functions.

It holds the parameters, the array namespace and the device; the math lives in
:mod:`backprop_xp.backprop`, :mod:`backprop_xp.activations` and
:mod:`backprop_xp.losses`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import inputs
from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, Activation, get_activation
from .backends import DTYPES, resolve_backend, to_numpy
from .backprop import Trace, backprop, forward
from .initializers import INITS, init_parameters
from .losses import check_loss_output, loss_value
from .metrics import correct_count, mean_squared_error, predict_labels, r2_score
from .training import History, fit

Array = Any


def _check_sizes(sizes: Any) -> list[int]:
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"sizes must be a list of layer widths, got {sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least an input and an output width, got {sizes!r}")
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"sizes must hold positive integers, got {sizes!r}")
    return sizes


def _hidden_names(activation: str | Sequence[str], n_hidden: int) -> list[str]:
    if isinstance(activation, str):
        return [activation] * n_hidden
    names = list(activation)
    if len(names) != n_hidden:
        raise ValueError(
            f"activation lists one name per hidden layer: expected {n_hidden}, got {len(names)}"
        )
    return names


class MLP:
    """A fully connected feed-forward network trained by explicit backpropagation.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first and output last, e.g. ``[64, 32, 10]``.
    activation : str or sequence of str
        Hidden activation(s): ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``,
        ``identity``; a list gives one per hidden layer.
    output : str
        Output activation: ``identity``, ``sigmoid``, ``softmax``, ``tanh``, ``relu``.
    loss : str
        ``"mse"`` or ``"cross_entropy"`` (needs a softmax or sigmoid output).
    init : str
        ``xavier``, ``he``, ``normal`` or ``zeros``.
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` (or array-api-strict's ``"device1"``).
    backend : str or None
        ``None`` (NumPy on cpu, CuPy on cuda), ``"numpy"``, ``"cupy"``, ``"torch"``,
        ``"array_api_strict"``.
    dtype : str
        ``"float32"`` or ``"float64"``.
    seed : int or None
        Seed of the host generator that draws the initial weights.

    Attributes
    ----------
    weights : list of arrays
        ``weights[l]`` has shape ``(sizes[l+1], sizes[l])``, on the model's device.
    biases : list of arrays
        ``biases[l]`` has shape ``(sizes[l+1],)``.
    xp : module
        The array namespace all math runs in.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        output: str = "softmax",
        loss: str = "cross_entropy",
        init: str = "xavier",
        device: str = "cpu",
        backend: str | None = None,
        dtype: str = "float32",
        seed: int | None = 0,
    ) -> None:
        self.sizes = _check_sizes(sizes)
        hidden = _hidden_names(activation, len(self.sizes) - 2)
        self._acts: list[Activation] = [
            get_activation(name, argument="activation", allowed=HIDDEN_ACTIVATIONS)
            for name in hidden
        ]
        self._acts.append(get_activation(output, argument="output", allowed=OUTPUT_ACTIVATIONS))
        check_loss_output(loss, output)
        if output == "softmax" and self.sizes[-1] < 2:
            raise ValueError("output='softmax' needs at least 2 output units (sizes[-1] >= 2)")
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {init!r}")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
        self.activation = hidden
        self.output = output
        self.loss = loss
        self.init = init
        self.dtype_name = dtype
        self.seed = seed
        self._backend = resolve_backend(device, backend)
        host_W, host_b = init_parameters(self.sizes, init, seed)
        self.set_parameters(host_W, host_b)
        self._opt_state: tuple[Any, Any] | None = None  # (optimizer, state) of train_step
        n = len(self.sizes) - 1
        self._decay = [True] * n + [False] * n  # L2 weight decay: weights yes, biases no

    # --- properties -------------------------------------------------------
    @property
    def xp(self) -> Any:
        """The array API namespace."""
        return self._backend.xp

    @property
    def device(self) -> Any:
        """The array library's device object."""
        return self._backend.device

    @property
    def backend(self) -> str:
        """The backend name (``numpy``, ``cupy``, ``torch``, ``array_api_strict``)."""
        return self._backend.name

    @property
    def dtype(self) -> Any:
        """The namespace's floating dtype of the parameters."""
        return self._backend.dtype(self.dtype_name)

    @property
    def is_classifier(self) -> bool:
        """True for cross-entropy models (softmax or sigmoid outputs)."""
        return self.loss == "cross_entropy"

    @property
    def activations(self) -> list[Activation]:
        """Per-layer activations; the last one is the output activation."""
        return list(self._acts)

    # --- pickling: modules and device handles do not pickle; names and host arrays do
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["weights"], state["biases"] = self.get_parameters()
        state["_backend"] = (self._backend.label, self._backend.name)
        state["_opt_state"] = None  # optimizer moments are not kept across pickling
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        label, name = state.pop("_backend")
        weights, biases = state.pop("weights"), state.pop("biases")
        self.__dict__.update(state)
        self._backend = resolve_backend(label, name)
        self.set_parameters(weights, biases)

    def __repr__(self) -> str:
        return (
            f"MLP({self.sizes}, activation={self.activation!r}, output={self.output!r}, "
            f"loss={self.loss!r}, backend={self.backend!r}, device={self._backend.label!r}, "
            f"dtype={self.dtype_name!r})"
        )

    # --- parameters -------------------------------------------------------
    def set_parameters(self, weights: Sequence[Any], biases: Sequence[Any]) -> None:
        """Copy host or device arrays into the model (cast to its dtype and device).

        The model always owns its parameters (training updates them in place), so
        the arrays passed in are copied, never shared.
        """
        shapes = [(o, i) for i, o in zip(self.sizes[:-1], self.sizes[1:])]
        if len(weights) != len(shapes) or len(biases) != len(shapes):
            raise ValueError(f"expected {len(shapes)} weight and bias arrays")
        new_W, new_b = [], []
        for l, (W, b, shape) in enumerate(zip(weights, biases, shapes)):
            W_host, b_host = to_numpy(W), to_numpy(b)
            if W_host.shape != shape or b_host.shape != shape[:1]:
                raise ValueError(
                    f"layer {l}: expected weights {shape} and biases {shape[:1]}, "
                    f"got {W_host.shape} and {b_host.shape}"
                )
            new_W.append(self._backend.asarray(W_host, self.dtype, copy=True))
            new_b.append(self._backend.asarray(b_host, self.dtype, copy=True))
        self.weights: list[Array] = new_W
        self.biases: list[Array] = new_b

    def get_parameters(self) -> tuple[list[Any], list[Any]]:
        """Host (NumPy) copies of the weights and biases."""
        return [to_numpy(W) for W in self.weights], [to_numpy(b) for b in self.biases]

    # --- data -------------------------------------------------------------
    def _features(self, X: Any) -> Array:
        return inputs.as_features(self._backend, self.dtype, X, self.sizes[0])

    def _targets(self, y: Any, m: int) -> Array:
        return inputs.as_targets(self._backend, self.dtype, y, m, self.sizes[-1])

    # --- math -------------------------------------------------------------
    def forward(self, X: Any) -> Array:
        """Output activations a^L.

        Parameters
        ----------
        X : array, shape (m, sizes[0])

        Returns
        -------
        array, shape (m, sizes[-1]), on the model's device
        """
        with self._backend.context():
            X = self._features(X)
            _, a = forward(X, self.weights, self.biases, self._acts, xp=self.xp)
            return a[-1]

    def backprop(self, X: Any, Y: Any) -> Trace:
        """One forward and backward pass, keeping every intermediate quantity.

        For studying backprop: the returned :class:`~backprop_xp.backprop.Trace`
        has ``z[l]``, ``a[l]`` and ``delta[l]`` (the δ of BP1/BP2) for every layer,
        the gradients ``dW``, ``db`` and the loss. Nothing is updated.

        Parameters
        ----------
        X : array, shape (m, sizes[0])
        Y : array, shape (m, sizes[-1]) or (m,) integer labels
        """
        with self._backend.context():
            X = self._features(X)
            Y = self._targets(Y, X.shape[0])
            return backprop(X, Y, self.weights, self.biases, self._acts, self.loss, xp=self.xp)

    def gradients(self, X: Any, Y: Any) -> tuple[Array, list[Array], list[Array]]:
        """Batch-averaged loss and gradients.

        Returns
        -------
        loss : 0-d array
        dW : list of arrays, ``dW[l]`` shaped like ``weights[l]``
        db : list of arrays, ``db[l]`` shaped like ``biases[l]``
        """
        trace = self.backprop(X, Y)
        return trace.loss, trace.dW, trace.db

    def loss_value(self, X: Any, Y: Any) -> Array:
        """The batch-averaged cost C(X, Y) as a 0-d array (no backward pass)."""
        with self._backend.context():
            X = self._features(X)
            Y = self._targets(Y, X.shape[0])
            z, a = forward(X, self.weights, self.biases, self._acts, xp=self.xp)
            return loss_value(self.loss, self.output, z[-1], a[-1], Y, xp=self.xp)

    def clone(
        self, device: str | None = None, backend: str | None = None, dtype: str | None = None
    ) -> MLP:
        """A copy with the same parameters, optionally on another backend/device/dtype."""
        if device is None and backend is None:
            device, backend = self._backend.label, self.backend
        new = MLP(
            self.sizes,
            self.activation,
            self.output,
            self.loss,
            self.init,
            device=device or "cpu",
            backend=backend,
            dtype=dtype or self.dtype_name,
            seed=self.seed,
        )
        new.set_parameters(self.weights, self.biases)
        return new

    # --- training ---------------------------------------------------------
    def _update(
        self, X: Array, Y: Array, optimizer: Any, state: Any, count_correct: bool = False
    ) -> tuple[Any, Any, Any]:
        """Backprop on a device batch and one in-place optimizer step (no host sync).

        Returns the batch loss, the number of correctly classified rows (when
        ``count_correct``; else None) and the new optimizer state.
        """
        xp = self.xp
        trace = backprop(X, Y, self.weights, self.biases, self._acts, self.loss, xp=xp)
        n = len(self.weights)
        params, state = optimizer.update(
            self.weights + self.biases,
            trace.dW + trace.db,
            state,
            xp=xp,
            decay=self._decay,
            in_place=True,
        )
        self.weights, self.biases = params[:n], params[n:]
        correct = correct_count(trace.a[-1], Y, self.output, xp=xp) if count_correct else None
        return trace.loss, correct, state

    def train_step(self, X: Any, Y: Any, optimizer: Any) -> Array:
        """One forward pass, backprop and parameter update on the batch ``(X, Y)``.

        The parameters are updated in place. The optimizer's state (momentum,
        Adam moments) is kept by the model between calls with the same
        optimizer object.

        Parameters
        ----------
        X : array, shape (m, sizes[0])
        Y : array, shape (m, sizes[-1]) or (m,) labels
        optimizer : SGD or Adam

        Returns
        -------
        0-d array on the model's device: the batch loss before the update.
        """
        with self._backend.context():
            X = self._features(X)
            Y = self._targets(Y, X.shape[0])
            opt_state = self._opt_state
            if opt_state is None or opt_state[0] is not optimizer:
                opt_state = (optimizer, optimizer.init(self.weights + self.biases, xp=self.xp))
            loss, _, state = self._update(X, Y, optimizer, opt_state[1])
            self._opt_state = (optimizer, state)
            return loss

    def fit(
        self,
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
        callbacks: Sequence[Any] | None = None,
    ) -> History:
        """Train by mini-batch gradient descent.

        Parameters
        ----------
        X : array, shape (n, sizes[0])
        y : array, shape (n,) labels or (n, sizes[-1]) rows
        epochs : int
            Passes over the training data.
        batch_size : int
            Rows per step (the last batch of an epoch may be smaller).
        optimizer : SGD or Adam, optional
            Defaults to ``SGD(lr=0.1)``. Passing the same optimizer object to
            later ``fit`` or ``train_step`` calls resumes its state (momentum,
            Adam moments).
        validation_data : (X_val, y_val), optional
            Scored at the end of every epoch.
        validation_split : float
            Fraction of ``X`` held out (randomly, from ``seed``) for validation.
        shuffle : bool
            Reshuffle the rows every epoch.
        seed : int, optional
            Seed of the host generator for shuffles and the validation split;
            a seeded run is reproducible.
        early_stopping : bool
            Stop when the validation loss (or the training loss without
            validation data) has not improved by more than ``min_delta`` for
            ``patience`` epochs, and (with ``restore_best_weights``) go back to
            the best epoch's weights.
        progress : bool
            Show a progress bar with live loss and accuracy.
        callbacks : list of callables, optional
            ``callback(net, record)`` after every epoch; returning ``True`` stops.

        Returns
        -------
        History
            Per-epoch loss, accuracy (classifiers), validation scores, seconds.
            If the loss becomes NaN/inf, training stops with a
            :class:`~backprop_xp.training.DivergenceWarning`, ``history.stopped``
            is ``"diverged"`` and the model keeps its last finite weights.
        """
        return fit(
            self,
            X,
            y,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            validation_data=validation_data,
            validation_split=validation_split,
            shuffle=shuffle,
            seed=seed,
            early_stopping=early_stopping,
            patience=patience,
            min_delta=min_delta,
            restore_best_weights=restore_best_weights,
            progress=progress,
            callbacks=callbacks,
        )

    # --- inference --------------------------------------------------------
    def predict(self, X: Any) -> Array:
        """Class labels for classifiers, output activations for regressors (on the device)."""
        a = self.forward(X)
        if not self.is_classifier:
            return a
        with self._backend.context():
            return predict_labels(a, self.output, xp=self.xp)

    def _scores(self, X: Array, Y: Array) -> dict[str, float]:
        """Loss and accuracy (classifiers) or MSE and R² of device arrays X, Y (rows)."""
        xp = self.xp
        with self._backend.context():
            z, a = forward(X, self.weights, self.biases, self._acts, xp=xp)
            scores = {"loss": float(loss_value(self.loss, self.output, z[-1], a[-1], Y, xp=xp))}
            if self.is_classifier:
                correct = correct_count(a[-1], Y, self.output, xp=xp)
                scores["accuracy"] = float(correct) / X.shape[0]
            else:
                scores["mse"] = float(mean_squared_error(a[-1], Y, xp=xp))
                scores["r2"] = float(r2_score(a[-1], Y, xp=xp))
            return scores

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
        """Scores on ``(X, y)``: ``loss`` and ``accuracy`` (classifiers) or ``mse`` and ``r2``."""
        with self._backend.context():
            X = self._features(X)
            Y = self._targets(y, X.shape[0])
        return self._scores(X, Y)

    def to(self, device: str, backend: str | None = None) -> MLP:
        """A copy of this model on another device/backend (same dtype and weights)."""
        return self.clone(device=device, backend=backend)

    def save(self, path: Any, extra: dict[str, Any] | None = None) -> Any:
        """Write the model to a safetensors file, atomically (see :func:`backprop_xp.load`)."""
        from .io import save

        return save(self, path, extra=extra)
