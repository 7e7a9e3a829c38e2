"""Backends and devices: map ``device=`` / ``backend=`` to an array namespace.

This is the only module that knows about concrete array libraries. The math
modules receive the resolved namespace ``xp`` and never import one.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from dataclasses import dataclass
from typing import Any

import array_api_compat
import numpy as np

BACKENDS = ("numpy", "cupy", "torch", "array_api_strict")
DTYPES = ("float32", "float64")

_INSTALL_HINT = {
    "cupy": "pip install backprop-xp[cuda12]  (or [cuda13] for CUDA 13)",
    "torch": "pip install backprop-xp[torch]",
    "array_api_strict": "pip install backprop-xp[strict]",
}
_STRICT_DEVICES = ("CPU_DEVICE", "device1", "device2")


class BackendUnavailableError(RuntimeError):
    """The requested backend or device cannot be used on this machine."""


@dataclass(frozen=True)
class Backend:
    """A resolved array library and device.

    Attributes
    ----------
    name : str
        One of ``BACKENDS``.
    xp : module
        The array API namespace (from ``array_api_compat`` where needed).
    device : object
        The library's own device object (``"cpu"``, ``torch.device``,
        ``cupy.cuda.Device``, ``array_api_strict.Device``).
    label : str
        The user's spelling of the device (``"cpu"``, ``"cuda:1"``, ``"device1"``).
    """

    name: str
    xp: Any
    device: Any
    label: str

    def context(self) -> contextlib.AbstractContextManager:
        """Make this device current (CuPy needs it; the others ignore it)."""
        if self.name == "cupy":
            return self.device
        return contextlib.nullcontext()

    def asarray(self, host: Any, dtype: Any, copy: bool | None = None) -> Any:
        """A host array (or nested lists) on this device with ``dtype``.

        ``copy=True`` guarantees a new buffer (NumPy would otherwise reuse a
        host array that already has the right dtype).
        """
        with self.context():
            if self.name == "cupy":
                return self.xp.asarray(host, dtype=dtype)  # host → device always copies
            return self.xp.asarray(host, dtype=dtype, device=self.device, copy=copy)

    def is_native(self, array: Any, dtype: Any) -> bool:
        """Quick test: ``array`` is this library's array, with ``dtype``, on this device."""
        if self.name == "numpy":
            return type(array) is np.ndarray and array.dtype == dtype
        return (
            _library_of(array) == self.name
            and array.dtype == dtype
            and str(getattr(array, "device", None)) == str(self.device)
        )

    def dtype(self, name: str) -> Any:
        """The namespace's dtype object for ``"float32"`` or ``"float64"``."""
        return getattr(self.xp, name)

    def owns(self, array: Any) -> bool:
        """True when ``array`` already belongs to this namespace and device."""
        if not array_api_compat.is_array_api_obj(array):
            return False
        if _library_of(array) != self.name:
            return False
        if self.name == "numpy":
            return True
        return str(array_api_compat.device(array)) == str(self.device)


def _library_of(array: Any) -> str:
    if array_api_compat.is_numpy_array(array):
        return "numpy"
    if array_api_compat.is_cupy_array(array):
        return "cupy"
    if array_api_compat.is_torch_array(array):
        return "torch"
    if type(array).__module__.startswith("array_api_strict"):
        return "array_api_strict"
    return type(array).__module__.split(".")[0]


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend={name!r} needs the {name} package, which is not installed; "
            f"install it with: {_INSTALL_HINT[name]}"
        ) from exc


def _cuda_index(device: str) -> int:
    match = re.fullmatch(r"cuda(?::(\d+))?", device)
    if match is None:
        raise ValueError(f"device={device!r} is not a CUDA device; expected 'cuda' or 'cuda:N'")
    return int(match.group(1) or 0)


def resolve_backend(device: str = "cpu", backend: str | None = None) -> Backend:
    """Resolve ``device`` and ``backend`` to a :class:`Backend`.

    Parameters
    ----------
    device : str
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; for array-api-strict also its
        test devices ``"device1"`` / ``"device2"``.
    backend : str or None
        ``None`` picks NumPy for ``"cpu"`` and CuPy for CUDA devices.

    Raises
    ------
    ValueError
        Unknown backend or a device the backend does not have.
    BackendUnavailableError
        The library is not installed, or no GPU is visible.
    """
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda:0', got {device!r}")
    if backend is None:
        backend = "cupy" if device.startswith("cuda") else "numpy"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS} or None, got {backend!r}")

    if backend == "numpy":
        if device != "cpu":
            raise ValueError(f"backend='numpy' runs only on device='cpu', got device={device!r}")
        import array_api_compat.numpy as xp

        return Backend("numpy", xp, "cpu", "cpu")

    if backend == "cupy":
        index = _cuda_index(device)
        cupy = _import("cupy")
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # CUDA driver missing or broken
            raise BackendUnavailableError(
                f"device={device!r}: CuPy is installed but no CUDA GPU is usable ({exc})"
            ) from exc
        if index >= count:
            raise BackendUnavailableError(
                f"device={device!r}: this machine has {count} CUDA GPU(s)"
            )
        import array_api_compat.cupy as xp

        return Backend("cupy", xp, cupy.cuda.Device(index), f"cuda:{index}")

    if backend == "torch":
        torch = _import("torch")
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device={device!r} is not a torch device string") from exc
        if dev.type == "cuda":
            if not torch.cuda.is_available():
                raise BackendUnavailableError(
                    f"device={device!r}: torch is installed but sees no CUDA GPU"
                )
            dev = torch.device("cuda", dev.index or 0)
        import array_api_compat.torch as xp

        return Backend("torch", xp, dev, str(dev))

    strict = _import("array_api_strict")
    name = "CPU_DEVICE" if device == "cpu" else device
    if name not in _STRICT_DEVICES:
        raise ValueError(
            f"backend='array_api_strict' accepts device 'cpu', 'device1' or 'device2', "
            f"got device={device!r}"
        )
    return Backend("array_api_strict", strict, strict.Device(name), device)


def to_numpy(array: Any) -> np.ndarray:
    """Copy any backend's array to a ``numpy.ndarray`` on the host.

    Parameters
    ----------
    array : array
        A NumPy, CuPy, torch or array-api-strict array (or anything
        ``numpy.asarray`` accepts).

    Returns
    -------
    numpy.ndarray
    """
    if array_api_compat.is_cupy_array(array):
        return array.get()
    if array_api_compat.is_torch_array(array):
        return array.detach().cpu().numpy()
    if type(array).__module__.startswith("array_api_strict"):
        return np.from_dlpack(array)
    return np.asarray(array)


def available_backends() -> list[tuple[str, str, str]]:
    """Which (backend, device) pairs work here: rows of ``(backend, device, status)``."""
    rows = [("numpy", "cpu", "ok")]
    for backend, device in [
        ("array_api_strict", "cpu"),
        ("torch", "cpu"),
        ("torch", "cuda"),
        ("cupy", "cuda"),
    ]:
        try:
            resolve_backend(device, backend)
            rows.append((backend, device, "ok"))
        except (BackendUnavailableError, ValueError) as exc:
            rows.append((backend, device, str(exc)))
    return rows
