"""fit: convergence, reproducibility, early stopping, divergence, data checks;
predict/evaluate against independent references; moving models."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import backprop_xp as bx
from backprop_xp.datasets import make_spirals, make_xor


def test_fit_learns_xor():
    d = make_xor(200)
    net = bx.MLP([2, 8, 2], activation="tanh", seed=0)
    history = net.fit(
        d.X, d.y, epochs=30, batch_size=32, optimizer=bx.SGD(0.3, momentum=0.9), seed=0
    )
    assert history.loss[-1] < 0.25 * history.loss[0]
    assert net.evaluate(d.X, d.y)["accuracy"] >= 0.98
    assert history.stopped == "completed" and len(history.epoch) == 30


def test_fit_learns_spirals():
    d = make_spirals(400)
    net = bx.MLP([2, 64, 64, 2], activation="tanh", seed=0)
    net.fit(d.X, d.y, epochs=200, batch_size=32, optimizer=bx.Adam(0.01), seed=0)
    assert net.evaluate(d.X, d.y)["accuracy"] >= 0.95


def test_fit_regression_r2():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(256, 1))
    y = np.sin(3 * X)
    net = bx.MLP([1, 32, 1], activation="tanh", output="identity", loss="mse", seed=0)
    net.fit(X, y, epochs=150, batch_size=32, optimizer=bx.Adam(0.01), seed=0)
    scores = net.evaluate(X, y)
    assert scores["r2"] > 0.95
    assert set(scores) == {"loss", "mse", "r2"}


def test_seeded_fit_is_bit_reproducible():
    d = make_xor(100)

    def run(seed):
        net = bx.MLP([2, 6, 2], activation="relu", seed=1)
        h = net.fit(
            d.X,
            d.y,
            epochs=5,
            batch_size=7,
            optimizer=bx.Adam(0.01),
            seed=seed,
            validation_split=0.2,
        )
        return net, h

    (a, ha), (b, hb), (c, _) = run(5), run(5), run(6)
    for Wa, Wb in zip(a.weights + a.biases, b.weights + b.biases):
        np.testing.assert_array_equal(Wa, Wb)
    assert ha.loss == hb.loss and ha.val_loss == hb.val_loss
    assert not np.array_equal(a.weights[0], c.weights[0])  # a different shuffle


def test_fit_same_on_every_backend(backend_device):
    backend, device = backend_device
    d = make_xor(60)
    kwargs = {"epochs": 3, "batch_size": 16, "optimizer": bx.SGD(0.2, momentum=0.5), "seed": 3}
    ref = bx.MLP([2, 5, 2], activation="tanh", dtype="float64", seed=2)
    h_ref = ref.fit(d.X, d.y, validation_data=(d.X[:10], d.y[:10]), **kwargs)
    net = bx.MLP(
        [2, 5, 2], activation="tanh", dtype="float64", seed=2, backend=backend, device=device
    )
    h = net.fit(d.X, d.y, validation_data=(d.X[:10], d.y[:10]), **kwargs)
    np.testing.assert_allclose(h.loss, h_ref.loss, rtol=1e-12)
    np.testing.assert_allclose(h.val_loss, h_ref.val_loss, rtol=1e-12)
    assert h.accuracy == h_ref.accuracy
    for W, W_ref in zip(net.weights, ref.weights):
        np.testing.assert_allclose(bx.to_numpy(W), W_ref, rtol=1e-12, atol=1e-14)


def test_history_records_accuracy_that_evaluate_agrees_with():
    d = make_xor(80)
    Xv, yv = d.X[:20], d.y[:20]
    net = bx.MLP([2, 6, 2], activation="tanh", dtype="float64")
    h = net.fit(d.X, d.y, epochs=3, validation_data=(Xv, yv), seed=0)
    out = bx.to_numpy(net.forward(Xv))
    # independent reference: cross-entropy and accuracy from the softmax outputs by hand
    ref_loss = -np.mean(np.log(out[np.arange(20), yv]))
    ref_acc = np.mean(out.argmax(axis=1) == yv)
    assert h.val_loss[-1] == pytest.approx(ref_loss, rel=1e-12)
    assert h.val_accuracy[-1] == ref_acc
    assert all(s > 0 for s in h.seconds) and h.total_seconds == pytest.approx(sum(h.seconds))


def _overfitting_setup():
    """Random labels: training loss falls, validation loss rises after a while."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 10))
    y = rng.integers(0, 3, size=40)
    Xv = rng.normal(size=(40, 10))
    yv = rng.integers(0, 3, size=40)
    return X, y, Xv, yv


def test_early_stopping_restores_best_epoch():
    X, y, Xv, yv = _overfitting_setup()
    net = bx.MLP([10, 64, 3], activation="relu", dtype="float64", seed=0)
    snapshots = {}

    def keep(net_, record):
        snapshots[record["epoch"]] = [bx.to_numpy(W).copy() for W in net_.weights]

    h = net.fit(
        X,
        y,
        epochs=200,
        batch_size=8,
        optimizer=bx.Adam(0.01),
        validation_data=(Xv, yv),
        early_stopping=True,
        patience=5,
        seed=0,
        callbacks=[keep],
    )
    assert h.stopped == "early_stopping" and len(h.epoch) < 200
    best = int(np.argmin(h.val_loss)) + 1
    assert h.best_epoch == best
    assert len(h.epoch) == best + 5
    for W, W_best in zip(net.weights, snapshots[best]):
        np.testing.assert_array_equal(W, W_best)
    assert net.evaluate(Xv, yv)["loss"] == pytest.approx(min(h.val_loss), rel=1e-12)


def test_early_stopping_without_validation_watches_training_loss():
    X, y, _, _ = _overfitting_setup()
    net = bx.MLP([10, 8, 3], activation="relu", dtype="float64", seed=0)
    h = net.fit(X, y, epochs=30, optimizer=bx.SGD(5.0), early_stopping=True, patience=2, seed=0)
    assert h.best_epoch == int(np.argmin(h.loss)) + 1


def test_divergence_stops_and_keeps_last_finite_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = rng.normal(size=(64, 1))
    # a linear net with full-batch steps too large for its curvature: |loss| grows each epoch
    net = bx.MLP([3, 16, 1], activation="identity", output="identity", loss="mse", init="he")
    kept = {}

    def keep(net_, record):
        kept[record["epoch"]] = [bx.to_numpy(W).copy() for W in net_.weights]

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # only ours may be raised …
        warnings.simplefilter("always", bx.DivergenceWarning)
        with pytest.warns(bx.DivergenceWarning, match="diverged in epoch"):
            h = net.fit(X, y, epochs=100, batch_size=64, optimizer=bx.SGD(0.3), callbacks=[keep])
    assert h.stopped == "diverged" and "learning rate" in h.message
    assert 2 <= len(h.epoch) < 100
    assert all(np.isfinite(h.loss))
    assert all(np.all(np.isfinite(bx.to_numpy(W))) for W in net.weights + net.biases)
    for W, W_kept in zip(net.weights, kept[h.epoch[-1]]):
        np.testing.assert_array_equal(W, W_kept)


def test_callback_can_stop():
    d = make_xor(40)
    net = bx.MLP([2, 4, 2])
    h = net.fit(d.X, d.y, epochs=10, callbacks=[lambda n, r: r["epoch"] == 3])
    assert h.stopped == "callback" and h.epoch == [1, 2, 3]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"validation_split": 0.2, "validation_data": ([[0.0, 0.0]], [0])}, "not both"),
        ({"validation_data": [[0.0, 0.0]]}, "validation_data"),
        ({"validation_data": ([[0.0, 0.0, 0.0]], [0])}, "validation_data X has 3 features"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"callbacks": [3]}, "callbacks"),
    ],
)
def test_bad_fit_arguments(kwargs, match):
    d = make_xor(20)
    with pytest.raises((ValueError, TypeError), match=match):
        bx.MLP([2, 3, 2]).fit(d.X, d.y, **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_training_data_rejected_before_any_work(bad):
    d = make_xor(20)
    X = d.X.copy()
    X[3, 1] = bad
    net = bx.MLP([2, 3, 2])
    before = net.get_parameters()[0][0].copy()
    with pytest.raises(ValueError, match="X contains NaN or infinite"):
        net.fit(X, d.y, epochs=2)
    np.testing.assert_array_equal(net.weights[0], before)
    Y = np.eye(2)[d.y]
    Y[0, 0] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        net.fit(d.X, Y, epochs=2)


def test_mismatched_rows_rejected():
    d = make_xor(20)
    with pytest.raises(ValueError, match="X has 20 samples but y has 19"):
        bx.MLP([2, 3, 2]).fit(d.X, d.y[:19])


def test_fit_does_not_mutate_inputs():
    d = make_xor(30)
    X, y = d.X.copy(), d.y.copy()
    bx.MLP([2, 3, 2]).fit(X, y, epochs=2, validation_split=0.3, seed=0)
    np.testing.assert_array_equal(X, d.X)
    np.testing.assert_array_equal(y, d.y)


def test_predict_classifiers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4))
    soft = bx.MLP([4, 5, 3], dtype="float64")
    np.testing.assert_array_equal(soft.predict(X), bx.to_numpy(soft.forward(X)).argmax(axis=1))
    binary = bx.MLP([4, 5, 1], output="sigmoid", dtype="float64")
    a = bx.to_numpy(binary.forward(X))[:, 0]
    np.testing.assert_array_equal(binary.predict(X), (a > 0.5).astype(int))
    multi = bx.MLP([4, 5, 3], output="sigmoid", dtype="float64")
    np.testing.assert_array_equal(multi.predict(X), bx.to_numpy(multi.forward(X)) > 0.5)
    reg = bx.MLP([4, 5, 2], output="identity", loss="mse", dtype="float64")
    np.testing.assert_array_equal(reg.predict(X), reg.forward(X))


def test_evaluate_regression_matches_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    net = bx.MLP([3, 4, 2], output="identity", loss="mse", dtype="float64")
    out = bx.to_numpy(net.forward(X))
    s = net.evaluate(X, Y)
    assert s["r2"] == pytest.approx(sk.r2_score(Y, out), rel=1e-10)
    assert s["mse"] == pytest.approx(sk.mean_squared_error(Y, out), rel=1e-12)
    assert s["loss"] == pytest.approx(0.5 * np.sum((out - Y) ** 2) / 30, rel=1e-12)


def test_evaluate_multilabel_subset_accuracy():
    X = np.zeros((4, 2))
    net = bx.MLP([2, 2], output="sigmoid", dtype="float64")
    net.set_parameters([np.zeros((2, 2))], [np.array([5.0, -5.0])])  # always predicts [1, 0]
    Y = np.array([[1, 0], [1, 1], [0, 0], [1, 0]])
    assert net.evaluate(X, Y)["accuracy"] == 0.5


def test_to_moves_model(backend_device):
    backend, device = backend_device
    net = bx.MLP([3, 4, 2], dtype="float64", seed=5)
    moved = net.to(device, backend=backend)
    assert moved.backend == backend
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(bx.to_numpy(moved.forward(X)), net.forward(X), rtol=1e-13)


def test_non_finite_validation_data_rejected():
    d = make_xor(20)
    Xv = d.X[:5].copy()
    Xv[0, 0] = np.inf
    with pytest.raises(ValueError, match="validation_data X contains NaN or infinite"):
        bx.MLP([2, 3, 2]).fit(d.X, d.y, validation_data=(Xv, d.y[:5]))
