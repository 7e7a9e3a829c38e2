"""The scikit-learn adapter: scikit-learn's own estimator checks, meta-estimators,
pickling, and that it is the library's MLP underneath.

Checks that cannot pass: none (every check of ``check_estimator`` runs below;
those that need pandas or ``SCIPY_ARRAY_API`` skip themselves when absent).
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits, make_multilabel_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import backprop_xp as bx  # noqa: E402
from backprop_xp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@parametrize_with_checks([MLPClassifier(), MLPRegressor()])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_adapter_is_the_library_mlp(digits):
    X, y = digits
    est = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(X, y)
    assert isinstance(est.net_, bx.MLP)
    assert est.net_.sizes == [64, 16, 10] and est.net_.output == "softmax"
    for W, coef in zip(est.net_.weights, est.coefs_):
        np.testing.assert_array_equal(W.T, coef)  # scikit-learn's (n_in, n_out) layout
    proba = est.predict_proba(X[:5])
    np.testing.assert_array_equal(proba, est.net_.forward(X[:5]))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert est.n_iter_ == 3 and len(est.loss_curve_) == 3 and est.t_ == 3 * len(y)
    assert est.out_activation_ == "softmax" and est.n_layers_ == 3


def test_fit_matches_library_fit_with_same_settings(digits):
    X, y = digits
    est = MLPClassifier(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate_init=0.1,
        momentum=0.5,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=50,
        max_iter=4,
        random_state=3,
        n_iter_no_change=100,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    seed = MLPClassifier(random_state=3)._seed()
    net = bx.MLP([64, 8, 10], activation="relu", init="he", dtype="float64", seed=seed)
    h = net.fit(X, y, epochs=4, batch_size=50, optimizer=bx.SGD(0.1, momentum=0.5), seed=seed)
    np.testing.assert_array_equal(est.coefs_[0], net.weights[0].T)
    assert est.loss_curve_ == h.loss


def test_binary_multilabel_and_string_classes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    est = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=200, learning_rate_init=0.01, random_state=0
    ).fit(X, y)
    assert list(est.classes_) == ["no", "yes"] and est.net_.sizes[-1] == 1
    assert est.predict_proba(X).shape == (120, 2) and est.score(X, y) > 0.9
    Xm, Ym = make_multilabel_classification(n_samples=150, n_classes=4, random_state=0)
    multi = MLPClassifier(
        hidden_layer_sizes=(32,), max_iter=200, learning_rate_init=0.01, random_state=0
    ).fit(Xm, Ym)
    assert multi.predict(Xm).shape == Ym.shape and multi.net_.output == "sigmoid"
    assert multi.score(Xm, Ym) > 0.9  # subset accuracy (scikit-learn's MLP: 0.95)


def test_multioutput_regression():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(200, 3))
    Y = np.column_stack([X[:, 0] * 2, X[:, 1] - X[:, 2]])
    est = MLPRegressor(
        hidden_layer_sizes=(32,), max_iter=300, learning_rate_init=0.01, random_state=0
    ).fit(X, Y)
    assert est.predict(X).shape == (200, 2) and est.score(X, Y) > 0.95
    one = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert one.fit(X, Y[:, 0]).predict(X).shape == (200,)


def test_partial_fit_and_warm_start(digits):
    X, y = digits
    est = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X[:100], y[:100])
    est.partial_fit(X[:900], y[:900], classes=np.arange(10))
    first = est.loss_curve_[0]
    for _ in range(5):
        est.partial_fit(X[:900], y[:900])
    assert est.n_iter_ == 6 and est.loss_curve_[-1] < first
    warm = MLPClassifier(
        hidden_layer_sizes=(32,), max_iter=2, warm_start=True, random_state=0, n_iter_no_change=50
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
        before = warm.loss_curve_[-1]
        warm.fit(X, y)
    assert warm.loss_curve_[0] < before * 1.01  # continued from the fitted weights


def test_early_stopping_records_validation(digits):
    X, y = digits
    est = MLPClassifier(
        hidden_layer_sizes=(32,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    assert est.validation_scores_ is not None and len(est.validation_scores_) == est.n_iter_
    assert est.best_validation_score_ == min(est.validation_scores_)
    assert est.n_iter_ < 200 and est.best_loss_ is None


def test_pipeline_grid_search_cross_val_clone_pickle(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=20, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(8,), (32,)]}, cv=2)
        grid.fit(X, y)
        scores = cross_val_score(
            MLPClassifier(max_iter=20, learning_rate_init=0.01, random_state=0), X, y, cv=3
        )
    assert grid.best_params_["mlpclassifier__hidden_layer_sizes"] in [(8,), (32,)]
    assert scores.shape == (3,) and scores.min() > 0.7
    fitted = grid.best_estimator_
    twin = clone(fitted)
    assert not hasattr(twin[-1], "net_")
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))


def test_runs_on_other_backends(digits):
    pytest.importorskip("array_api_strict")
    X, y = digits
    est = MLPClassifier(
        hidden_layer_sizes=(16,),
        max_iter=5,
        random_state=0,
        backend="array_api_strict",
        device="device1",
    )
    ref = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
        ref.fit(X, y)
    assert est.net_.backend == "array_api_strict"
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), rtol=1e-9, atol=1e-12)


def test_accuracy_close_to_scikit_learn_mlp(digits):
    """Same architecture, solver and epochs as scikit-learn's MLPClassifier on digits."""
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP

    X, y = digits
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    kwargs = {"hidden_layer_sizes": (64,), "max_iter": 40, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(**kwargs).fit(Xtr, ytr).score(Xte, yte)
        theirs = SkMLP(**kwargs).fit(Xtr, ytr).score(Xte, yte)
    assert ours >= theirs - 0.01


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="solver"):
        MLPClassifier(solver="lbfgs").fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPRegressor(hidden_layer_sizes=(0,)).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="2 classes"):
        MLPClassifier().fit([[0.0], [1.0]], [1, 1])


def test_import_error_says_how_to_install():
    code = "import sys; sys.modules['sklearn'] = None; import backprop_xp.sklearn"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode != 0
    assert "pip install backprop-xp[sklearn]" in r.stderr
