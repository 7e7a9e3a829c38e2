"""Backprop gradients against independent references: float64 central differences,
PyTorch autograd, and the NumPy float64 result on every backend."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import HAS_TORCH
from reference import central_differences, cost, one_hot

import backprop_xp as bx

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
PAIRS = [  # (output, loss): every valid combination
    ("softmax", "cross_entropy"),
    ("sigmoid", "cross_entropy"),
    ("identity", "mse"),
    ("sigmoid", "mse"),
    ("softmax", "mse"),
    ("tanh", "mse"),
    ("relu", "mse"),
]
DEPTHS = {"shallow": [3, 5, 3], "deep": [3, 5, 4, 3]}


def make_data(sizes, output, loss, m, seed=0):
    """Inputs and (m, n_out) float64 targets that suit the output/loss pair."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, sizes[0]))
    k = sizes[-1]
    if loss == "cross_entropy" and output == "softmax":
        Y = one_hot(rng.integers(0, k, size=m), k)
    elif loss == "cross_entropy":
        Y = rng.integers(0, 2, size=(m, k)).astype(np.float64)
    else:
        Y = rng.uniform(0.05, 0.95, size=(m, k))
    return X, Y


@pytest.mark.parametrize("depth", list(DEPTHS))
@pytest.mark.parametrize("m", [1, 7])
@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_central_differences_float64(hidden, output, loss, m, depth):
    sizes = DEPTHS[depth]
    net = bx.MLP(sizes, activation=hidden, output=output, loss=loss, dtype="float64", seed=3)
    for l, b in enumerate(net.biases):  # non-zero biases, so BP3 is exercised for real
        net.biases[l] = b + 0.1 * (l + 1)
    X, Y = make_data(sizes, output, loss, m)
    value, dW, db = net.gradients(X, Y)

    W_host, b_host = net.get_parameters()
    hidden_names = [hidden] * (len(sizes) - 2)
    fd_W, fd_b = central_differences(W_host, b_host, hidden_names, output, loss, X, Y)
    np.testing.assert_allclose(
        float(value), cost(W_host, b_host, hidden_names, output, loss, X, Y), rtol=1e-12
    )
    for l in range(len(dW)):
        np.testing.assert_allclose(dW[l], fd_W[l], rtol=1e-5, atol=1e-8, err_msg=f"dW[{l}]")
        np.testing.assert_allclose(db[l], fd_b[l], rtol=1e-5, atol=1e-8, err_msg=f"db[{l}]")


@pytest.mark.parametrize("output,loss", PAIRS)
def test_gradcheck_reports_small_errors(output, loss):
    sizes = [4, 6, 3]
    net = bx.MLP(sizes, activation="tanh", output=output, loss=loss, dtype="float64", seed=1)
    X, Y = make_data(sizes, output, loss, 5)
    result = bx.gradcheck(net, X, Y)
    assert len(result.weights) == len(result.biases) == 2
    assert result.checked == sum(o * i + o for i, o in itertools.pairwise(sizes))
    assert result.max_error < 1e-5


def test_gradcheck_detects_a_wrong_gradient(monkeypatch):
    """gradcheck must fail loudly when the backward pass is wrong."""
    import backprop_xp.backprop as bp

    sizes = [4, 6, 3]
    net = bx.MLP(sizes, activation="sigmoid", dtype="float64", seed=1)
    X, Y = make_data(sizes, "softmax", "cross_entropy", 5)
    real = bp.bias_gradient
    monkeypatch.setattr(bp, "bias_gradient", lambda delta, *, xp: 2 * real(delta, xp=xp))
    assert bx.gradcheck(net, X, Y).max_error > 0.3


def test_gradcheck_subsample_and_float32():
    sizes = [8, 16, 4]
    net = bx.MLP(sizes, activation="relu", init="he", dtype="float32", seed=0)
    X, Y = make_data(sizes, "softmax", "cross_entropy", 16)
    result = bx.gradcheck(net, X, Y.argmax(axis=1), max_checks_per_layer=10)
    assert result.checked == 10 + 10 + 10 + 4
    # float32 backprop against a float64 reference: a few float32 ulps of relative error.
    assert result.max_error < 1e-3


def _scale_tolerance(dtype: str) -> float:
    eps = float(np.finfo(dtype).eps)
    return 64 * eps


@pytest.mark.parametrize(
    "output,loss",
    [
        ("softmax", "cross_entropy"),
        ("sigmoid", "cross_entropy"),
        ("identity", "mse"),
        ("softmax", "mse"),
    ],
)
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_backends_match_numpy_float64(backend_device, dtype, hidden, output, loss):
    backend, device = backend_device
    sizes = [5, 8, 6, 4]
    X, Y = make_data(sizes, output, loss, 9, seed=4)
    X = X.astype(dtype)  # both sides see the same (rounded) inputs
    ref = bx.MLP(sizes, hidden, output, loss, dtype="float64", seed=7)
    net = bx.MLP(sizes, hidden, output, loss, device=device, backend=backend, dtype=dtype, seed=7)
    ref.set_parameters(*net.get_parameters())  # same rounded starting weights
    ref_loss, ref_dW, ref_db = ref.gradients(X, Y)
    value, dW, db = net.gradients(X, Y)
    tol = _scale_tolerance(dtype)
    for name, got, want in [("dW", dW, ref_dW), ("db", db, ref_db)]:
        for l, (g, w) in enumerate(zip(got, want)):
            g = bx.to_numpy(g)
            assert g.dtype == np.dtype(dtype)
            scale = max(1.0, float(np.max(np.abs(w))))
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, err_msg=f"{name}[{l}]")
    np.testing.assert_allclose(float(bx.to_numpy(value)), float(ref_loss), rtol=tol)


# --- PyTorch autograd as an independent reference --------------------------
torch = pytest.importorskip("torch") if HAS_TORCH else None


def _torch_cost(weights, biases, hidden, output, loss, X, Y, keep_z=None):
    F = torch.nn.functional
    act = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
        "identity": lambda z: z,
        "softmax": lambda z: torch.softmax(z, dim=1),
    }
    a = X
    names = [*list(hidden), output]
    for W, b, name in zip(weights, biases, names):
        z = a @ W.T + b
        if keep_z is not None:
            z.retain_grad()
            keep_z.append(z)
        a = act[name](z)
    if loss == "mse":
        return 0.5 * ((a - Y) ** 2).sum() / X.shape[0]
    if output == "softmax":
        return F.cross_entropy(z, Y)  # Y as class probabilities, mean over the batch
    return F.binary_cross_entropy_with_logits(z, Y, reduction="sum") / X.shape[0]


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
@pytest.mark.parametrize("output,loss", PAIRS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_against_torch_autograd(hidden, output, loss):
    sizes = [6, 7, 5, 3]
    net = bx.MLP(sizes, activation=hidden, output=output, loss=loss, dtype="float64", seed=11)
    X, Y = make_data(sizes, output, loss, 10, seed=5)
    trace = net.backprop(X, Y)

    W_host, b_host = net.get_parameters()
    Wt = [torch.tensor(W, requires_grad=True) for W in W_host]
    bt = [torch.tensor(b, requires_grad=True) for b in b_host]
    zs: list = []
    C = _torch_cost(Wt, bt, [hidden] * 2, output, loss, torch.tensor(X), torch.tensor(Y), zs)
    C.backward()
    np.testing.assert_allclose(float(trace.loss), C.item(), rtol=1e-12)
    m = X.shape[0]
    for l in range(3):
        np.testing.assert_allclose(trace.dW[l], Wt[l].grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(trace.db[l], bt[l].grad.numpy(), rtol=1e-10, atol=1e-13)
        # δ of the trace is the per-sample error ∂C_x/∂z = m ∂C/∂z.
        np.testing.assert_allclose(trace.delta[l], m * zs[l].grad.numpy(), rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(trace.z[l], zs[l].detach().numpy(), rtol=1e-12)


def test_gradcheck_flags_relu_kinks():
    """Zero biases and a dead hidden row put an output ReLU exactly at its kink:
    the central difference there is the mean of the two slopes, backprop takes 0."""
    net = bx.MLP([2, 2, 1], activation="relu", output="relu", loss="mse", dtype="float64")
    net.set_parameters([np.ones((2, 2)), np.ones((1, 2))], [np.zeros(2), np.zeros(1)])
    X = np.array([[-1.0, -1.0], [1.0, 2.0]])  # sample 0: hidden z = -2 (dead), output z = 0
    result = bx.gradcheck(net, X, np.array([[1.0], [1.0]]))
    assert result.near_kinks == 1  # the output unit of sample 0
    assert result.biases[-1] > 0.05  # the kink shows up as a large "error" (here 0.1)
    smooth = bx.gradcheck(net, X[1:], np.array([[1.0]]))
    assert smooth.near_kinks == 0 and smooth.max_error < 1e-7
