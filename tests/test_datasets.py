"""Data loading: built-in sets, IDX/npz/csv files (good and malformed), splits."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from backprop_xp import datasets


def write_idx(path, array: np.ndarray, code: int, gz: bool = False) -> None:
    """An IDX writer written from the format description (big-endian header)."""
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += b"".join(struct.pack(">I", n) for n in array.shape)
    big = array.astype(array.dtype.newbyteorder(">"))
    raw = header + big.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


@pytest.fixture
def idx_pair(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 4, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=12).astype(np.uint8)
    return tmp_path, images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_idx_mnist_format(idx_pair, gz):
    tmp, images, labels = idx_pair
    write_idx(tmp / "img", images, 0x08, gz)
    write_idx(tmp / "lab", labels, 0x08, gz)
    d = datasets.load_dataset(str(tmp / "img"), labels=str(tmp / "lab"))
    assert d.X.shape == (12, 12) and d.task == "classification"
    np.testing.assert_array_equal(d.X, images.reshape(12, -1) / 255.0)
    np.testing.assert_array_equal(d.y, labels)


@pytest.mark.parametrize("code,dtype", [(0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)])
def test_idx_other_types(tmp_path, code, dtype):
    a = np.arange(6, dtype=dtype).reshape(2, 3)
    write_idx(tmp_path / "a", a, code)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "a"), a)


def test_idx_malformed(idx_pair):
    tmp, images, labels = idx_pair
    write_idx(tmp / "img", images, 0x08)
    good = (tmp / "img").read_bytes()
    (tmp / "trunc").write_bytes(good[:-5])
    with pytest.raises(ValueError, match="truncated"):
        datasets.read_idx(tmp / "trunc")
    (tmp / "magic").write_bytes(b"\x01\x02" + good[2:])
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(tmp / "magic")
    (tmp / "gz").write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(ValueError, match="gzip"):
        datasets.read_idx(tmp / "gz")
    write_idx(tmp / "lab", labels[:5], 0x08)
    with pytest.raises(ValueError, match="12 samples but labels file has 5"):
        datasets.load_idx(tmp / "img", tmp / "lab")
    with pytest.raises(ValueError, match="--labels"):
        datasets.load_dataset(str(tmp / "img"))


def test_npz(tmp_path):
    X = np.random.default_rng(0).normal(size=(10, 3))
    y = np.arange(10) % 3
    np.savez(tmp_path / "d.npz", X=X, y=y)
    d = datasets.load_dataset(str(tmp_path / "d.npz"))
    np.testing.assert_array_equal(d.X, X)
    assert d.task == "classification" and d.n_classes == 3
    np.savez(tmp_path / "r.npz", data=X, target=X[:, 0] * 0.5)
    assert datasets.load_dataset(str(tmp_path / "r.npz")).task == "regression"


def test_npz_malformed(tmp_path):
    np.savez(tmp_path / "k.npz", features=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="'X' and 'y'"):
        datasets.load_npz(tmp_path / "k.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match=r"not a readable \.npz"):
        datasets.load_npz(tmp_path / "bad.npz")
    np.savez(tmp_path / "rows.npz", X=np.zeros((3, 2)), y=np.zeros(2))
    with pytest.raises(ValueError, match="3 feature rows but 2 targets"):
        datasets.load_npz(tmp_path / "rows.npz")
    np.savez(tmp_path / "nan.npz", X=np.array([[np.nan, 1.0]]), y=np.array([0]))
    with pytest.raises(ValueError, match="NaN"):
        datasets.load_npz(tmp_path / "nan.npz")


def test_csv_with_and_without_header(tmp_path):
    (tmp_path / "h.csv").write_text("a,b,label\n0.5,1,0\n2,3.5,1\n-1,0,2\n")
    d = datasets.load_dataset(str(tmp_path / "h.csv"))
    np.testing.assert_array_equal(d.X, [[0.5, 1], [2, 3.5], [-1, 0]])
    np.testing.assert_array_equal(d.y, [0, 1, 2])
    (tmp_path / "n.csv").write_text("0.5,1,0.25\n2,3.5,1.5\n")
    d = datasets.load_dataset(str(tmp_path / "n.csv"))
    assert d.task == "regression" and d.X.shape == (2, 2)


def test_csv_malformed(tmp_path):
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,oops\n")
    with pytest.raises(ValueError, match="cannot parse"):
        datasets.load_csv(tmp_path / "bad.csv")
    (tmp_path / "one.csv").write_text("1\n2\n")
    with pytest.raises(ValueError, match="feature column"):
        datasets.load_csv(tmp_path / "one.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty"):
        datasets.load_csv(tmp_path / "empty.csv")


def test_unknown_name():
    with pytest.raises(ValueError, match="neither a built-in"):
        datasets.load_dataset("mnist-please")


@pytest.mark.parametrize("name", datasets.SYNTHETIC)
def test_synthetic_sets(name):
    a = datasets.load_dataset(name, n_samples=50, seed=1)
    b = datasets.load_dataset(name, n_samples=50, seed=1)
    c = datasets.load_dataset(name, n_samples=50, seed=2)
    assert a.X.shape == (50, 2) and set(np.unique(a.y)) == {0, 1}
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)


def test_xor_labels_follow_quadrants():
    d = datasets.make_xor(200, noise=0.05)
    np.testing.assert_array_equal(d.y, (np.sign(d.X[:, 0]) != np.sign(d.X[:, 1])).astype(int))


def test_digits():
    pytest.importorskip("sklearn")
    d = datasets.load_digits()
    assert d.X.shape == (1797, 64) and d.n_classes == 10
    assert d.X.min() == 0.0 and d.X.max() == 1.0


def test_split_is_stratified_disjoint_and_fixed_by_seed():
    d = datasets.Dataset(np.arange(100.0)[:, None], np.repeat([0, 1, 2, 3], 25), "t")
    (Xtr, _), (Xv, _), (Xte, yte) = datasets.train_val_test_split(d, 0.2, 0.1, seed=0)
    rows = np.concatenate([Xtr, Xv, Xte])[:, 0]
    assert sorted(rows) == list(range(100))
    assert len(yte) == 20 and all(np.sum(yte == c) == 5 for c in range(4))
    again = datasets.train_val_test_split(d, 0.2, 0.1, seed=0)
    np.testing.assert_array_equal(again[2][0], Xte)
    other = datasets.train_val_test_split(d, 0.2, 0.1, seed=1)
    assert not np.array_equal(other[2][0], Xte)


def test_standardizer():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    s = datasets.Standardizer.fit(X)
    np.testing.assert_array_equal(s(X), [[-1.0, 0.0], [1.0, 0.0]])  # constant column → 0
