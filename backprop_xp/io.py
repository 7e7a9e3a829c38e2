"""Model files: weights in safetensors, architecture in its metadata header.

A file holds ``layers.{l}.weight`` (shape ``(n_out, n_in)``, like
``torch.nn.Linear.weight``) and ``layers.{l}.bias`` for every layer, and a JSON
description of the architecture under the metadata key ``backprop_xp``.
Loading parses data only (no pickle, no code runs), writing goes to a temporary
file that is renamed into place, so an interrupted save never leaves a
half-written model behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .backends import to_numpy

FORMAT_NAME = "backprop_xp"
FORMAT_VERSION = 1
SUFFIX = ".safetensors"


class ModelFileError(ValueError):
    """The file is not a readable backprop_xp model."""


def _safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError as exc:
        raise ImportError(
            "model files need the safetensors package; install it with: pip install backprop-xp[io]"
        ) from exc
    return safetensors


def model_config(net: Any) -> dict[str, Any]:
    """The architecture as plain data (everything but the weights)."""
    return {
        "sizes": list(net.sizes),
        "activation": list(net.activation),
        "output": net.output,
        "loss": net.loss,
        "init": net.init,
        "dtype": net.dtype_name,
    }


def save(net: Any, path: str | os.PathLike, extra: dict[str, Any] | None = None) -> Path:
    """Write ``net`` to ``path`` atomically.

    Parameters
    ----------
    net : MLP
    path : str or path-like
        Target file; ``.safetensors`` is the conventional suffix.
    extra : dict of str to array, optional
        More named arrays to store (the command line keeps its input
        standardisation here as ``input.mean`` and ``input.scale``).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    st = _safetensors()
    path = Path(path)
    tensors: dict[str, np.ndarray] = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        tensors[f"layers.{l}.weight"] = np.ascontiguousarray(to_numpy(W))
        tensors[f"layers.{l}.bias"] = np.ascontiguousarray(to_numpy(b))
    for key, value in (extra or {}).items():
        if key.startswith("layers."):
            raise ValueError(f"extra array names must not start with 'layers.', got {key!r}")
        tensors[key] = np.ascontiguousarray(to_numpy(value))
    metadata = {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        FORMAT_NAME: json.dumps(model_config(net)),
    }
    data = st.numpy.save(tensors, metadata=metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(
    path: str | os.PathLike,
) -> tuple[dict[str, Any], list[np.ndarray], list[np.ndarray], dict[str, np.ndarray]]:
    """Read a model file: ``(config, weights, biases, extra)`` as host arrays.

    Raises
    ------
    FileNotFoundError
        No such file.
    ModelFileError
        Truncated, corrupt, foreign or newer-format file.
    """
    st = _safetensors()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    try:
        with st.safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises its own error type for bad files
        raise ModelFileError(
            f"{str(path)!r} is not a readable model file (truncated or not safetensors): {exc}"
        ) from exc
    if metadata.get("format") != FORMAT_NAME or FORMAT_NAME not in metadata:
        raise ModelFileError(
            f"{str(path)!r} is a safetensors file but not a backprop_xp model "
            "(its metadata has no backprop_xp architecture)"
        )
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError:
        raise ModelFileError(f"{str(path)!r} has an unreadable format_version") from None
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} has format version {version}; this backprop_xp reads up to "
            f"{FORMAT_VERSION}: upgrade backprop-xp"
        )
    try:
        config = json.loads(metadata[FORMAT_NAME])
        n = len(config["sizes"]) - 1
        weights = [tensors[f"layers.{l}.weight"] for l in range(n)]
        biases = [tensors[f"layers.{l}.bias"] for l in range(n)]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{str(path)!r} is missing part of the model: {exc!r}") from exc
    extra = {k: v for k, v in tensors.items() if not k.startswith("layers.")}
    return config, weights, biases, extra


def load(
    path: str | os.PathLike,
    device: str = "cpu",
    backend: str | None = None,
    dtype: str | None = None,
) -> Any:
    """Load a model written by :meth:`MLP.save` onto any backend and device.

    Parameters
    ----------
    path : str or path-like
    device, backend : str
        Where the loaded model lives (as in :class:`MLP`).
    dtype : str, optional
        Defaults to the dtype it was saved with.

    Returns
    -------
    MLP
    """
    from .model import MLP

    config, weights, biases, _ = read(path)
    try:
        net = MLP(
            config["sizes"],
            activation=config["activation"],
            output=config["output"],
            loss=config["loss"],
            init=config.get("init", "xavier"),
            device=device,
            backend=backend,
            dtype=dtype or config["dtype"],
            seed=0,
        )
        net.set_parameters(weights, biases)
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{str(path)!r} describes an invalid model: {exc}") from exc
    return net
