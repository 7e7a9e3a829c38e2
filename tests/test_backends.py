"""Devices, namespaces, conversions, numerical stability and input immutability."""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pytest

import backprop_xp as bx
from backprop_xp import backends


def test_nothing_leaves_device1():
    """array-api-strict refuses to mix devices, so a full pass on device1 proves the
    library creates every array (including constants) on the model's device."""
    pytest.importorskip("array_api_strict")
    import array_api_strict as xps

    dev = xps.Device("device1")
    rng = np.random.default_rng(0)
    for output, loss in [
        ("softmax", "cross_entropy"),
        ("sigmoid", "cross_entropy"),
        ("relu", "mse"),
    ]:
        net = bx.MLP(
            [4, 6, 5, 3],
            activation=["relu", "leaky_relu"],
            output=output,
            loss=loss,
            backend="array_api_strict",
            device="device1",
        )
        X = xps.asarray(rng.normal(size=(7, 4)), dtype=xps.float32, device=dev)
        y = rng.integers(0, 3, size=7) if output == "softmax" else rng.uniform(size=(7, 3))
        trace = net.backprop(X, y)
        arrays = net.weights + net.biases + trace.z + trace.a + trace.delta + trace.dW + trace.db
        assert all(arr.device == dev for arr in [*arrays, trace.loss])


def test_caller_arrays_are_not_mutated(backend_device):
    backend, device = backend_device
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=6)
    X0, y0 = X.copy(), y.copy()
    net = bx.MLP([4, 5, 3], backend=backend, device=device)
    net.gradients(X, y)
    net.forward(X)
    assert np.array_equal(X, X0) and np.array_equal(y, y0)

    # the same with arrays already on the model's device and dtype
    Xd = net._backend.asarray(X, net.dtype)
    before = bx.to_numpy(Xd).copy()
    net.backprop(Xd, y)
    assert np.array_equal(bx.to_numpy(Xd), before)


def test_to_numpy_every_backend(backend_device):
    backend, device = backend_device
    net = bx.MLP([3, 2], output="sigmoid", backend=backend, device=device, dtype="float64")
    host = bx.to_numpy(net.weights[0])
    assert isinstance(host, np.ndarray) and host.shape == (2, 3) and host.dtype == np.float64


def test_model_reports_its_backend(backend_device):
    backend, device = backend_device
    net = bx.MLP([3, 2], output="sigmoid", backend=backend, device=device)
    assert net.backend == backend
    assert backend in repr(net)


def test_cuda_without_gpu_is_a_clear_error():
    try:
        bx.resolve_backend("cuda")
    except bx.BackendUnavailableError as exc:
        message = str(exc)
        assert "cuda" in message.lower()
        assert "pip install backprop-xp[cuda12]" in message or "no CUDA GPU" in message
    else:
        pytest.skip("a CUDA GPU is present")


def test_missing_library_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in ("torch", "cupy"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(backends.importlib, "import_module", lambda name: fake_import(name))
    with pytest.raises(bx.BackendUnavailableError, match=r"pip install backprop-xp\[torch\]"):
        bx.MLP([2, 2], backend="torch")
    with pytest.raises(bx.BackendUnavailableError, match=r"pip install backprop-xp\[cuda12\]"):
        bx.MLP([2, 2], device="cuda:1")


def test_cuda_device_strings_are_parsed():
    assert backends._cuda_index("cuda") == 0
    assert backends._cuda_index("cuda:3") == 3
    with pytest.raises(ValueError, match="device='cuda:x'"):
        backends._cuda_index("cuda:x")


@pytest.mark.parametrize(
    "output,loss", [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"), ("sigmoid", "mse")]
)
def test_no_overflow_for_huge_logits_float32(backend_device, output, loss):
    """|z| up to 1e4 in float32: finite outputs, loss and gradients, and no warnings."""
    backend, device = backend_device
    net = bx.MLP(
        [2, 3],
        activation=[],
        output=output,
        loss=loss,
        backend=backend,
        device=device,
        dtype="float32",
    )
    net.set_parameters([np.array([[1e4, 0.0], [-1e4, 0.0], [0.0, 1e4]])], [np.zeros(3)])
    X = np.array([[1.0, -1.0], [-1.0, 1.0], [0.5, 0.0]], dtype=np.float32)
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            a = bx.to_numpy(net.forward(X))
            value, dW, db = net.gradients(X, Y)
    assert np.all(np.isfinite(a))
    assert np.isfinite(float(bx.to_numpy(value)))
    if loss == "cross_entropy":
        assert float(bx.to_numpy(value)) > 1000  # confidently wrong rows cost ~1e4, not inf
    for g in dW + db:
        assert np.all(np.isfinite(bx.to_numpy(g)))


def test_available_backends_lists_numpy_first():
    rows = bx.available_backends()
    assert rows[0] == ("numpy", "cpu", "ok")
    assert {r[0] for r in rows} == set(bx.backends.BACKENDS)
