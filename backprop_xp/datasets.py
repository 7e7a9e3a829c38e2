"""Data sets for the command line and examples, all as host NumPy arrays.

* ``digits``: the 8×8 handwritten digits (1797 samples, 10 classes) that
  scikit-learn ships, scaled to [0, 1].
* ``xor``, ``spirals``, ``moons``: seeded synthetic 2-D classification sets.
* Files given by path: MNIST-format IDX (gzip or not; images and labels in two
  files), ``.npz`` (arrays ``X`` and ``y``) and ``.csv`` (last column is the
  target, an optional header row).
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SYNTHETIC = ("xor", "spirals", "moons")
BUILTIN = ("digits", *SYNTHETIC)


@dataclass(frozen=True)
class Dataset:
    """Features, targets and what they are.

    Attributes
    ----------
    X : ndarray, shape (n, n_features), float
    y : ndarray, shape (n,) integer labels or (n, n_targets) float targets
    name : str
    task : str
        ``"classification"`` or ``"regression"``.
    """

    X: np.ndarray
    y: np.ndarray
    name: str
    task: str = "classification"

    @property
    def n_classes(self) -> int:
        """Number of classes (``max label + 1``); 0 for regression."""
        return int(self.y.max()) + 1 if self.task == "classification" else 0

    @property
    def n_outputs(self) -> int:
        """Output units a network needs for this data."""
        if self.task == "classification":
            return self.n_classes
        return 1 if self.y.ndim == 1 else self.y.shape[1]


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 4:
        raise ValueError(f"n_samples must be an integer >= 4, got {n!r}")
    return n


def load_digits() -> Dataset:
    """The 8×8 digits shipped with scikit-learn, pixels scaled from [0, 16] to [0, 1]."""
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as exc:
        raise ImportError(
            "the digits data set comes with scikit-learn; install it with: "
            "pip install backprop-xp[cli]"
        ) from exc
    bunch = sk_load_digits()
    return Dataset(bunch.data.astype(np.float64) / 16.0, bunch.target.astype(np.int64), "digits")


def make_xor(n_samples: int = 400, noise: float = 0.15, seed: int = 0) -> Dataset:
    """Four Gaussian blobs at (±1, ±1); the label is 1 where the signs differ."""
    rng = np.random.default_rng(seed)
    n = _check_n(n_samples)
    corners = rng.integers(0, 4, size=n)
    centres = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    X = centres[corners] + noise * rng.standard_normal((n, 2))
    y = (np.sign(centres[corners, 0]) != np.sign(centres[corners, 1])).astype(np.int64)
    return Dataset(X, y, "xor")


def make_spirals(n_samples: int = 600, noise: float = 0.1, turns: float = 1.5, seed: int = 0):
    """Two interleaved Archimedean spirals (classes 0 and 1)."""
    rng = np.random.default_rng(seed)
    n = _check_n(n_samples)
    y = np.arange(n) % 2
    t = rng.uniform(0.05, 1.0, size=n)  # position along the arm
    angle = 2 * math.pi * turns * t + math.pi * y
    X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    X += noise * t[:, None] * rng.standard_normal((n, 2))
    return Dataset(X / 0.5, y.astype(np.int64), "spirals")


def make_moons(n_samples: int = 400, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles (classes 0 and 1)."""
    rng = np.random.default_rng(seed)
    n = _check_n(n_samples)
    y = np.arange(n) % 2
    theta = rng.uniform(0.0, math.pi, size=n)
    X = np.where(
        (y == 0)[:, None],
        np.stack([np.cos(theta), np.sin(theta)], axis=1),
        np.stack([1.0 - np.cos(theta), 0.5 - np.sin(theta)], axis=1),
    )
    X = X + noise * rng.standard_normal((n, 2))
    return Dataset(X, y.astype(np.int64), "moons")


# --- files ----------------------------------------------------------------
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed or not.

    Raises ``ValueError`` naming the file if it is truncated or not IDX.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{str(path)!r}: broken gzip stream ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{str(path)!r} is not an IDX file (bad magic number)")
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{str(path)!r}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"{str(path)!r}: IDX header promises shape {shape} ({expected} bytes of data) "
            f"but the file holds {len(raw) - header}; is it truncated?"
        )
    return (
        np.frombuffer(raw, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def load_idx(images: str | Path, labels: str | Path) -> Dataset:
    """MNIST-style pair of IDX files; images are flattened and scaled to [0, 1] if uint8."""
    X = read_idx(images)
    y = read_idx(labels)
    if y.ndim != 1:
        raise ValueError(f"labels file {str(labels)!r} must hold a 1-D array, got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"images file has {X.shape[0]} samples but labels file has {y.shape[0]}")
    scale = 255.0 if X.dtype == np.uint8 else 1.0
    X = X.reshape(X.shape[0], -1).astype(np.float64) / scale
    return Dataset(X, y.astype(np.int64), Path(images).name)


def _as_dataset(X: Any, y: Any, name: str, task: str | None) -> Dataset:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"{name}: features must be a 2-D numeric array, got {X.shape} {X.dtype}")
    if y.ndim not in (1, 2) or y.dtype.kind not in "biuf":
        raise ValueError(f"{name}: targets must be a 1-D or 2-D numeric array, got {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{name}: {X.shape[0]} feature rows but {y.shape[0]} targets")
    if X.shape[0] == 0:
        raise ValueError(f"{name}: the data set is empty")
    if not np.all(np.isfinite(X)) or (y.dtype.kind == "f" and not np.all(np.isfinite(y))):
        raise ValueError(f"{name}: the data contains NaN or infinite values")
    if task is None:
        integral = y.ndim == 1 and (y.dtype.kind in "biu" or np.all(y == np.round(y)))
        task = "classification" if integral and y.min() >= 0 else "regression"
    if task == "classification":
        if y.ndim != 1 or y.min() < 0 or np.any(y != np.round(y)):
            raise ValueError(f"{name}: class labels must be non-negative integers")
        y = y.astype(np.int64)
    else:
        y = y.astype(np.float64)
    return Dataset(X.astype(np.float64), y, name, task)


def load_npz(path: str | Path, task: str | None = None) -> Dataset:
    """An ``.npz`` with arrays ``X`` and ``y`` (``x``/``y`` and ``data``/``target`` also work)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = set(f.files)
            for xk, yk in (("X", "y"), ("x", "y"), ("data", "target")):
                if {xk, yk} <= keys:
                    return _as_dataset(f[xk], f[yk], path.name, task)
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(path.name):
            raise
        raise ValueError(f"{str(path)!r} is not a readable .npz file ({exc})") from exc
    raise ValueError(f"{str(path)!r} needs arrays named 'X' and 'y'; it has {sorted(keys)}")


def load_csv(path: str | Path, task: str | None = None) -> Dataset:
    """A comma-separated file; the last column is the target, a header row is skipped."""
    path = Path(path)
    lines = path.read_text().splitlines()
    if not lines:
        raise ValueError(f"{str(path)!r} is empty")
    first = lines[0].split(",")
    try:
        [float(v) for v in first]
        skip = 0
    except ValueError:
        skip = 1  # a header row
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{str(path)!r}: cannot parse as numbers ({exc})") from exc
    if data.shape[1] < 2:
        raise ValueError(f"{str(path)!r} needs at least one feature column and a target column")
    return _as_dataset(data[:, :-1], data[:, -1], path.name, task)


def load_dataset(
    name: str, labels: str | None = None, n_samples: int | None = None, seed: int = 0
) -> Dataset:
    """Load a data set by name (``digits``, ``xor``, ``spirals``, ``moons``) or file path.

    Parameters
    ----------
    name : str
        A built-in name, or a path to ``.npz``, ``.csv`` or an IDX images file.
    labels : str, optional
        The IDX labels file that goes with an IDX images file.
    n_samples : int, optional
        Size of a synthetic set.
    seed : int
        Seed of a synthetic set.
    """
    if name == "digits":
        return load_digits()
    if name in SYNTHETIC:
        maker = {"xor": make_xor, "spirals": make_spirals, "moons": make_moons}[name]
        return maker(seed=seed) if n_samples is None else maker(n_samples, seed=seed)
    path = Path(name)
    if not path.exists():
        raise ValueError(
            f"data={name!r} is neither a built-in data set {BUILTIN} nor an existing file"
        )
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith(".npz"):
        return load_npz(path)
    if suffixes.endswith(".csv"):
        return load_csv(path)
    if labels is None:
        raise ValueError(
            f"data={name!r}: for IDX (MNIST-format) files also give the labels file "
            "(--labels PATH); other files must end in .npz or .csv"
        )
    return load_idx(path, labels)


def train_val_test_split(
    data: Dataset, test_fraction: float = 0.2, val_fraction: float = 0.1, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Shuffle rows with ``seed`` and cut ``(train, validation, test)`` pairs.

    Classification splits are stratified (each class keeps its share), so a
    fixed seed gives the same held-out test set every time.
    """
    n = data.X.shape[0]
    rng = np.random.default_rng(seed)
    if data.task == "classification":
        test_idx, val_idx, train_idx = [], [], []
        for c in np.unique(data.y):
            rows = rng.permutation(np.flatnonzero(data.y == c))
            n_test = round(len(rows) * test_fraction)
            n_val = round(len(rows) * val_fraction)
            test_idx.append(rows[:n_test])
            val_idx.append(rows[n_test : n_test + n_val])
            train_idx.append(rows[n_test + n_val :])
        parts = [rng.permutation(np.concatenate(p)) for p in (train_idx, val_idx, test_idx)]
    else:
        perm = rng.permutation(n)
        n_test, n_val = round(n * test_fraction), round(n * val_fraction)
        parts = [perm[n_test + n_val :], perm[n_test : n_test + n_val], perm[:n_test]]
    if len(parts[0]) == 0:
        raise ValueError(f"the data set ({n} samples) is too small to split")
    return tuple((data.X[p], data.y[p]) for p in parts)


@dataclass(frozen=True)
class Standardizer:
    """Per-feature ``(x - mean) / scale`` with statistics from the training rows.

    Constant features get scale 1 so they map to 0 instead of dividing by zero.
    """

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        """Statistics of the training features ``X`` (n, n_features)."""
        scale = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(scale > 1e-12, scale, 1.0))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
