"""Model files: round trips across backends, torch.nn interop, atomic writes,
and clear errors for missing, truncated, foreign and newer files."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
from conftest import HAS_TORCH

import backprop_xp as bx
from backprop_xp import io

pytest.importorskip("safetensors")


def _header(path) -> dict:
    """Parse the safetensors header by hand (8-byte little-endian length + JSON)."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n])


@pytest.fixture
def trained(tmp_path):
    rng = np.random.default_rng(0)
    net = bx.MLP([4, 6, 5, 3], activation=["relu", "tanh"], output="softmax", seed=1)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, size=40)
    net.fit(X, y, epochs=2, seed=0)
    path = net.save(tmp_path / "model.safetensors")
    return net, path, X


def test_file_is_plain_safetensors_with_metadata(trained):
    _, path, _ = trained
    header = _header(path)
    meta = header["__metadata__"]
    assert meta["format"] == "backprop_xp" and meta["format_version"] == "1"
    config = json.loads(meta["backprop_xp"])
    assert config == {
        "sizes": [4, 6, 5, 3],
        "activation": ["relu", "tanh"],
        "output": "softmax",
        "loss": "cross_entropy",
        "init": "xavier",
        "dtype": "float32",
    }
    assert header["layers.0.weight"]["shape"] == [6, 4]
    assert header["layers.2.bias"] == {**header["layers.2.bias"], "dtype": "F32", "shape": [3]}
    assert not any(name.endswith(".tmp") for name in os.listdir(path.parent))


def test_round_trip_on_every_backend(trained, backend_device):
    net, path, X = trained
    backend, device = backend_device
    loaded = bx.load(path, device=device, backend=backend)
    assert loaded.backend == backend and loaded.sizes == net.sizes
    assert loaded.activation == net.activation and loaded.dtype_name == "float32"
    for W, W0 in zip(loaded.weights + loaded.biases, net.weights + net.biases):
        np.testing.assert_array_equal(bx.to_numpy(W), W0)  # weights are stored bit-exact
    tol = 16 * np.finfo(np.float32).eps
    np.testing.assert_allclose(bx.to_numpy(loaded.forward(X)), net.forward(X), rtol=tol, atol=tol)
    np.testing.assert_array_equal(bx.to_numpy(loaded.predict(X)), net.predict(X))


def test_saved_from_another_backend_loads_identically(tmp_path):
    pytest.importorskip("array_api_strict")
    net = bx.MLP([3, 4, 2], backend="array_api_strict", device="device1", dtype="float64")
    path = net.save(tmp_path / "m.safetensors")
    back = bx.load(path)
    assert back.backend == "numpy" and back.dtype_name == "float64"
    for W, W0 in zip(back.weights, net.weights):
        np.testing.assert_array_equal(W, bx.to_numpy(W0))


def test_load_with_other_dtype(trained):
    net, path, X = trained
    wide = bx.load(path, dtype="float64")
    assert wide.weights[0].dtype == np.float64
    np.testing.assert_allclose(wide.forward(X), net.forward(X), rtol=1e-5)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_file_weights_load_into_torch_nn(trained):
    import torch
    from safetensors.torch import load_file

    net, path, X = trained
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 6),
        torch.nn.ReLU(),
        torch.nn.Linear(6, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 3),
        torch.nn.Softmax(dim=1),
    )
    tensors = load_file(str(path))
    # layers.{l}.* → the l-th Linear, which sits at index 2l of the Sequential
    state = {f"{2 * int(k.split('.')[1])}.{k.split('.')[2]}": v for k, v in tensors.items()}
    model.load_state_dict(state)
    with torch.no_grad():
        out = model(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(out, net.forward(X), rtol=1e-5, atol=1e-6)


def test_extra_arrays_round_trip(tmp_path):
    net = bx.MLP([2, 2])
    path = net.save(tmp_path / "m.safetensors", extra={"input.mean": np.array([1.0, 2.0])})
    _, _, _, extra = io.read(path)
    np.testing.assert_array_equal(extra["input.mean"], [1.0, 2.0])
    with pytest.raises(ValueError, match="extra"):
        net.save(tmp_path / "n.safetensors", extra={"layers.9.weight": np.zeros(1)})


def test_failed_write_leaves_old_file_intact(trained, monkeypatch):
    _, path, _ = trained
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        bx.MLP([2, 2]).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["model.safetensors"]  # no temp file left


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        bx.load(tmp_path / "nope.safetensors")


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_file(trained, keep):
    _, path, _ = trained
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(io.ModelFileError, match="not a readable model file"):
        bx.load(path)


def test_random_bytes(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    with pytest.raises(io.ModelFileError, match="not a readable model file"):
        bx.load(path)


def test_foreign_safetensors_file(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "other.safetensors"
    save_file({"embedding": np.zeros((2, 2), dtype=np.float32)}, str(path))
    with pytest.raises(io.ModelFileError, match="not a backprop_xp model"):
        bx.load(path)


def test_newer_format_version(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "future.safetensors"
    meta = {"format": "backprop_xp", "format_version": "99", "backprop_xp": "{}"}
    save_file({"layers.0.weight": np.zeros((1, 1), np.float32)}, str(path), metadata=meta)
    with pytest.raises(io.ModelFileError, match="format version 99"):
        bx.load(path)


def test_missing_layer_and_bad_shapes(tmp_path):
    from safetensors.numpy import save_file

    cfg = {
        "sizes": [2, 3],
        "activation": [],
        "output": "softmax",
        "loss": "cross_entropy",
        "dtype": "float32",
    }
    meta = {"format": "backprop_xp", "format_version": "1", "backprop_xp": json.dumps(cfg)}
    path = tmp_path / "a.safetensors"
    save_file({"layers.0.weight": np.zeros((3, 2), np.float32)}, str(path), metadata=meta)
    with pytest.raises(io.ModelFileError, match="missing part"):
        bx.load(path)
    save_file(
        {"layers.0.weight": np.zeros((2, 2), np.float32), "layers.0.bias": np.zeros(3, np.float32)},
        str(path),
        metadata=meta,
    )
    with pytest.raises(io.ModelFileError, match="invalid model"):
        bx.load(path)


def test_pickle_round_trip(backend_device):
    """Pickling (scikit-learn's convention) keeps backend, device and weights."""
    import pickle

    backend, device = backend_device
    net = bx.MLP([3, 4, 2], backend=backend, device=device, dtype="float64", seed=2)
    net.train_step(np.ones((2, 3)), [0, 1], bx.Adam(0.1))
    again = pickle.loads(pickle.dumps(net))
    assert again.backend == backend and again._backend.label == net._backend.label
    for W, W0 in zip(again.weights + again.biases, net.weights + net.biases):
        np.testing.assert_array_equal(bx.to_numpy(W), bx.to_numpy(W0))
