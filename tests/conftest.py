"""Shared fixtures: the backend × device × dtype matrix."""

from __future__ import annotations

import importlib.util

import pytest

import backprop_xp as bx


def _gpu_available() -> bool:
    try:
        bx.resolve_backend("cuda", "cupy")
        return True
    except (bx.BackendUnavailableError, ValueError):
        pass
    try:
        bx.resolve_backend("cuda", "torch")
        return True
    except (bx.BackendUnavailableError, ValueError):
        return False


HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_STRICT = importlib.util.find_spec("array_api_strict") is not None

# (backend, device, needs a GPU)
BACKEND_DEVICES = [
    ("numpy", "cpu", False),
    ("array_api_strict", "cpu", False),
    ("array_api_strict", "device1", False),
    ("torch", "cpu", False),
    ("cupy", "cuda", True),
    ("torch", "cuda", True),
]


def _params():
    out = []
    for backend, device, gpu in BACKEND_DEVICES:
        marks = [pytest.mark.gpu] if gpu else []
        out.append(pytest.param((backend, device), id=f"{backend}-{device}", marks=marks))
    return out


def _skip_unusable(backend: str, device: str) -> None:
    try:
        bx.resolve_backend(device, backend)
    except bx.BackendUnavailableError as exc:
        pytest.skip(str(exc))


@pytest.fixture(params=_params())
def backend_device(request) -> tuple[str, str]:
    """Every (backend, device) pair; pairs unusable on this machine are skipped."""
    backend, device = request.param
    _skip_unusable(backend, device)
    return backend, device


@pytest.fixture(params=["float32", "float64"])
def dtype(request) -> str:
    return request.param


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (skipped without one)")
