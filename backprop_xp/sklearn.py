"""scikit-learn estimators: ``MLPClassifier`` and ``MLPRegressor`` on any backend.

A thin adapter: input checking and the fitted attributes follow scikit-learn's
conventions; the network, the math and the training loop are the library's own
:class:`~backprop_xp.MLP` and its ``fit``. Parameter names follow
:class:`sklearn.neural_network.MLPClassifier` where the meaning is the same, plus
``device``, ``backend`` and ``dtype``.

Differences from scikit-learn's MLP, by design:

* ``alpha`` is the L2 penalty ``alpha/2 · ||W||² / batch_size`` per batch, as in
  scikit-learn; it is passed to the optimizer as weight decay ``alpha / batch_size``.
* With ``early_stopping=True`` the held-out fraction is scored by its loss (not
  accuracy/R²) and the best epoch's weights are restored.
* Pickling works (scikit-learn's convention), but a pickle runs code when loaded:
  share models as files written by ``est.net_.save(path)`` and read by
  ``backprop_xp.load`` instead.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils._param_validation import Interval, StrOptions
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "backprop_xp.sklearn needs scikit-learn; install it with: pip install backprop-xp[sklearn]"
    ) from exc

from .backends import to_numpy
from .model import MLP
from .optimizers import SGD, Adam

_HIDDEN = ["identity", "logistic", "tanh", "relu", "leaky_relu"]
# scikit-learn calls the sigmoid "logistic"
_ACTIVATION = {"logistic": "sigmoid"}


class _BaseMLP(BaseEstimator):
    """Shared parameters and the training driver of the two estimators."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(_HIDDEN))],
        "solver": [StrOptions({"sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "backend": [StrOptions({"numpy", "cupy", "torch", "array_api_strict"}), None],
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        device: str = "cpu",
        backend: str | None = None,
        dtype: str = "float64",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.backend = backend
        self.dtype = dtype

    # --- pieces -------------------------------------------------------------
    def _hidden(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, (Integral, np.integer)) else list(sizes)
        if any(
            isinstance(n, bool) or not isinstance(n, (Integral, np.integer)) or n < 1 for n in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}"
            )
        return [int(n) for n in sizes]

    def _batch(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} samples; "
                f"using {n_samples}",
                UserWarning,
                stacklevel=3,
            )
        return min(self.batch_size, n_samples)

    def _optimizer(self, batch: int) -> SGD | Adam:
        decay = self.alpha / batch
        if self.solver == "sgd":
            nesterov = self.nesterovs_momentum and self.momentum > 0
            return SGD(
                self.learning_rate_init,
                momentum=self.momentum,
                nesterov=nesterov,
                weight_decay=decay,
            )
        return Adam(
            self.learning_rate_init,
            betas=(self.beta_1, self.beta_2),
            eps=self.epsilon,
            weight_decay=decay,
        )

    def _seed(self) -> int:
        rs = self.random_state
        if rs is None or isinstance(rs, (Integral, np.integer)):
            return int(np.random.SeedSequence(rs).generate_state(1)[0])
        return int(rs.randint(np.iinfo(np.int32).max))  # a RandomState instance

    def _build(self, n_in: int, n_out: int, output: str, loss: str, seed: int) -> MLP:
        act = _ACTIVATION.get(self.activation, self.activation)
        init = "he" if act in ("relu", "leaky_relu") else "xavier"
        return MLP(
            [n_in, *self._hidden(), n_out],
            activation=act,
            output=output,
            loss=loss,
            init=init,
            device=self.device,
            backend=self.backend,
            dtype=self.dtype,
            seed=seed,
        )

    def _train(self, X: np.ndarray, Y: np.ndarray, epochs: int, incremental: bool) -> None:
        """Run the library's fit and copy its results into scikit-learn attributes."""
        batch = self._batch(X.shape[0])
        if not hasattr(self, "_optimizer_") or not incremental:
            self._optimizer_ = self._optimizer(batch)
        seed = self._seed()
        callbacks = []
        if self.verbose:
            callbacks.append(
                lambda net, r: print(f"Iteration {r['epoch']}, loss = {r['loss']:.8f}")
            )
        stop_early = self.early_stopping and not incremental
        history = self.net_.fit(
            X,
            Y,
            epochs=epochs,
            batch_size=batch,
            optimizer=self._optimizer_,
            validation_split=self.validation_fraction if stop_early else 0.0,
            shuffle=self.shuffle,
            seed=seed,
            # scikit-learn's stopping rule: no improvement by more than tol for
            # n_iter_no_change epochs (training loss, or validation with early_stopping)
            early_stopping=not incremental,
            patience=self.n_iter_no_change,
            min_delta=self.tol,
            restore_best_weights=stop_early,
            callbacks=callbacks,
        )
        epochs_run = len(history.epoch)
        self.n_iter_ = (
            self.n_iter_ if incremental and hasattr(self, "n_iter_") else 0
        ) + epochs_run
        seen = self.t_ if incremental and hasattr(self, "t_") else 0
        self.t_ = seen + epochs_run * X.shape[0]
        curve = list(getattr(self, "loss_curve_", [])) if incremental else []
        self.loss_curve_ = curve + list(history.loss)
        self.best_loss_ = None if stop_early else min(self.loss_curve_)
        if stop_early:
            self.validation_scores_ = list(history.val_loss)
            self.best_validation_score_ = min(history.val_loss)
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
        self._export()
        if not incremental and history.stopped == "completed" and self.max_iter == epochs:
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} epochs reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _export(self) -> None:
        """Host copies in scikit-learn's layout: ``coefs_[l]`` is ``(n_in, n_out)``."""
        weights, biases = self.net_.get_parameters()
        self.coefs_ = [W.T.copy() for W in weights]
        self.intercepts_ = [b.copy() for b in biases]
        self.n_layers_ = len(self.net_.sizes)
        self.n_outputs_ = self.net_.sizes[-1]
        self.out_activation_ = {"sigmoid": "logistic", "identity": "identity"}.get(
            self.net_.output, self.net_.output
        )

    def _output(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return to_numpy(self.net_.forward(X))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by explicit backpropagation.

    Softmax output and categorical cross-entropy for several classes; one
    sigmoid unit and binary cross-entropy for two; one sigmoid unit per label
    for multi-label indicator targets. See the module docstring for the
    parameters; ``device``, ``backend`` and ``dtype`` choose where it runs.

    Attributes
    ----------
    classes_ : ndarray
        The class labels (or label indices for multi-label targets).
    coefs_, intercepts_ : lists of ndarray
        Weights ``(n_in, n_out)`` and biases per layer, as host copies.
    n_iter_, loss_curve_, best_loss_, validation_scores_, best_validation_score_, t_
        Training record, in scikit-learn's meaning.
    net_ : backprop_xp.MLP
        The underlying network (on ``device``).
    """

    def _encode(self, y: Any, first: bool, classes: Any = None) -> np.ndarray:
        if first:
            if classes is not None:
                self.classes_ = np.asarray(classes)
            self._binarizer = LabelBinarizer()
            self._binarizer.fit(self.classes_ if classes is not None else y)
            self.classes_ = self._binarizer.classes_
            self._multilabel = self._binarizer.y_type_.startswith("multilabel")
            if len(self.classes_) < 2 and not self._multilabel:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data; "
                    f"got 1 class: {self.classes_[0]!r}"
                )
        elif not self._multilabel and not np.isin(np.unique(y), self.classes_).all():
            raise ValueError(
                f"y holds labels not seen in the first call: classes are {self.classes_}"
            )
        return self._binarizer.transform(y).astype(np.float64)  # (n, n_out)

    def _check_y(self, y: Any) -> Any:
        if getattr(y, "ndim", np.ndim(y)) == 2 and np.shape(y)[1] > 1:
            return y  # multi-label indicator matrix
        return column_or_1d(y, warn=True)

    def _fit(self, X: Any, y: Any, incremental: bool, classes: Any = None) -> MLPClassifier:
        self._validate_params()
        first = not (incremental or self.warm_start) or not hasattr(self, "net_")
        X, y = validate_data(
            self, X, y, reset=first, multi_output=True, dtype=[np.float64, np.float32]
        )
        y = self._check_y(y)
        check_classification_targets(y)
        if incremental and first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        Y = self._encode(y, first, classes)
        if first:
            multi = len(self.classes_) > 2 or self._multilabel
            output = "softmax" if multi and not self._multilabel else "sigmoid"
            self.net_ = self._build(X.shape[1], Y.shape[1], output, "cross_entropy", self._seed())
            if hasattr(self, "_optimizer_"):
                del self._optimizer_
        self._train(X, Y, 1 if incremental else self.max_iter, incremental)
        return self

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on ``(X, y)`` for up to ``max_iter`` epochs; returns ``self``."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> MLPClassifier:
        """One epoch over ``(X, y)``; ``classes`` is required on the first call."""
        return self._fit(X, y, incremental=True, classes=classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``."""
        a = self._output(X)
        if a.shape[1] == 1 and not self._multilabel:
            return np.hstack([1.0 - a, a])
        return a

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (indicator rows for multi-label targets)."""
        a = self._output(X)
        if self._multilabel:
            return (a > 0.5).astype(int)
        if a.shape[1] == 1:
            return self.classes_[(a[:, 0] > 0.5).astype(int)]
        return self.classes_[np.argmax(a, axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor (identity output, squared error) trained by
    explicit backpropagation; one output per target column.

    Attributes are as for :class:`MLPClassifier`, without ``classes_``.
    """

    def _fit(self, X: Any, y: Any, incremental: bool) -> MLPRegressor:
        self._validate_params()
        first = not (incremental or self.warm_start) or not hasattr(self, "net_")
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            multi_output=True,
            y_numeric=True,
            dtype=[np.float64, np.float32],
        )
        Y = np.asarray(y, dtype=np.float64)
        self._y_1d = Y.ndim == 1
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        if first:
            self.net_ = self._build(X.shape[1], Y.shape[1], "identity", "mse", self._seed())
            if hasattr(self, "_optimizer_"):
                del self._optimizer_
        elif Y.shape[1] != self.net_.sizes[-1]:
            raise ValueError(
                f"y has {Y.shape[1]} targets, but the fitted network has {self.net_.sizes[-1]}"
            )
        self._train(X, Y, 1 if incremental else self.max_iter, incremental)
        return self

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on ``(X, y)`` for up to ``max_iter`` epochs; returns ``self``."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X: Any, y: Any) -> MLPRegressor:
        """One epoch over ``(X, y)``."""
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions ``(n_samples,)``, or ``(n_samples, n_targets)`` for 2-D targets."""
        a = self._output(X)
        return a[:, 0] if self._y_1d else a

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
