"""The ``backprop-xp`` command end to end, in subprocesses, on tiny budgets."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("safetensors")


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "backprop_xp.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_train_digits_writes_run_folder(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    out = tmp_path / "run"
    r = run("train", "--epochs", "3", "--hidden", "32", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "test" in r.stdout and "accuracy" in r.stdout
    files = {p.name for p in out.iterdir()}
    assert files == {
        "model.safetensors",
        "history.json",
        "summary.json",
        "learning_curves.png",
        "confusion_matrix.png",
    }
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2, 3] and len(history["val_loss"]) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sizes"] == [64, 32, 10] and summary["scores"]["test"]["samples"] == 359
    for png in ("learning_curves.png", "confusion_matrix.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # evaluate reads the model and its standardisation back: same test accuracy
    r = run("evaluate", str(out / "model.safetensors"), "--data", "digits")
    assert r.returncode == 0, r.stderr
    acc = summary["scores"]["test"]["accuracy"]
    assert f"{acc:.4f}" in r.stdout


def test_default_train_runs_in_cwd(tmp_path):
    """No arguments but the budget: the run folder appears under ./runs."""
    pytest.importorskip("sklearn")
    r = run("train", "--data", "xor", "--epochs", "2", "--no-plots", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("xor-") and (folder / "model.safetensors").is_file()


def test_train_regression_csv_with_adam(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(120, 2))
    y = X[:, 0] ** 2 + 0.3 * X[:, 1] + 0.05  # non-integer targets: a regression
    np.savetxt(
        tmp_path / "r.csv", np.column_stack([X, y]), delimiter=",", header="a,b,t", comments=""
    )
    out = tmp_path / "run"
    r = run(
        "train",
        "--data",
        str(tmp_path / "r.csv"),
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--epochs",
        "5",
        "--out",
        str(out),
        "--no-plots",
        "--activation",
        "tanh",
    )
    assert r.returncode == 0, r.stderr
    assert "R²" in r.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["output"] == "identity" and "r2" in summary["scores"]["test"]


def test_train_idx_files(tmp_path):
    from test_datasets import write_idx

    rng = np.random.default_rng(0)
    write_idx(tmp_path / "img.gz", rng.integers(0, 256, (60, 3, 3), dtype=np.uint8), 0x08, True)
    write_idx(tmp_path / "lab.gz", (np.arange(60) % 3).astype(np.uint8), 0x08, True)
    r = run(
        "train",
        "--data",
        str(tmp_path / "img.gz"),
        "--labels",
        str(tmp_path / "lab.gz"),
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--no-plots",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["sizes"][0] == 9 and summary["sizes"][-1] == 3


def test_train_on_strict_backend(tmp_path):
    pytest.importorskip("array_api_strict")
    r = run(
        "train",
        "--data",
        "moons",
        "--epochs",
        "2",
        "--backend",
        "array_api_strict",
        "--device",
        "device1",
        "--dtype",
        "float64",
        "--out",
        str(tmp_path / "r"),
        "--no-plots",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr


def test_gradcheck_command():
    r = run("gradcheck", "--sizes", "3,4,2", "--activation", "sigmoid", "--output", "sigmoid")
    assert r.returncode == 0, r.stderr
    assert "PASS" in r.stdout and "dW" in r.stdout


def test_info_command():
    r = run("info")
    assert r.returncode == 0
    assert "numpy" in r.stdout and "usable" in r.stdout
    assert "cupy" in r.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "--data", "nope"], "neither a built-in"),
        (["train", "--data", "xor", "--epochs", "0"], "epochs"),
        (["train", "--data", "xor", "--device", "cuda", "--backend", "numpy"], "device"),
        (["train", "--hidden", "a,b"], "comma-separated"),
        (["evaluate", "missing.safetensors", "--data", "xor"], "does not exist"),
        (["gradcheck", "--activation", "swish"], "activation"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(args, message, tmp_path):
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_no_command_prints_help():
    r = run()
    assert r.returncode == 2 and "train" in r.stdout


def test_train_with_early_stopping_and_nesterov(tmp_path):
    r = run(
        "train",
        "--data",
        "moons",
        "--epochs",
        "200",
        "--early-stopping",
        "--patience",
        "3",
        "--nesterov",
        "--out",
        str(tmp_path / "r"),
        "--no-plots",
        "--quiet",
    )
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["stopped"] == "early_stopping" and summary["epochs_run"] < 200
    assert summary["optimizer"]["nesterov"] is True


def test_inspect_example_prints_the_derivation_numbers():
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "inspect_backprop.py"
    r = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "C = 0.298371109" in r.stdout and "0.082167041" in r.stdout
