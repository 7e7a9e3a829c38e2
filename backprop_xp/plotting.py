"""PNG plots of a training run (matplotlib, optional: ``pip install backprop-xp[cli]``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "plots need matplotlib; install it with: pip install backprop-xp[cli]"
        ) from exc
    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of class i predicted as j."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    flat = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes)


def plot_history(history: Any, path: str | Path, title: str = "") -> Path:
    """Learning curves: loss (and accuracy for classifiers) per epoch, train and validation."""
    plt = _pyplot()
    has_acc = any(a is not None for a in history.accuracy)
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5.5, 4))
    axes = np.atleast_1d(axes)
    epochs = history.epoch
    axes[0].plot(epochs, history.loss, label="train")
    if any(v is not None for v in history.val_loss):
        axes[0].plot(epochs, history.val_loss, label="validation")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].set_yscale("log")
    axes[0].legend()
    axes[0].grid(alpha=0.3)
    if has_acc:
        axes[1].plot(epochs, history.accuracy, label="train")
        if any(v is not None for v in history.val_accuracy):
            axes[1].plot(epochs, history.val_accuracy, label="validation")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("accuracy")
        axes[1].legend()
        axes[1].grid(alpha=0.3)
    if history.best_epoch is not None:
        for ax in axes:
            ax.axvline(history.best_epoch, color="grey", linestyle=":", label="best epoch")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_confusion(cm: np.ndarray, path: str | Path, labels: Sequence[str] | None = None) -> Path:
    """Heat map of a confusion matrix with the counts written in the cells."""
    plt = _pyplot()
    k = cm.shape[0]
    labels = list(labels) if labels is not None else [str(i) for i in range(k)]
    fig, ax = plt.subplots(figsize=(1.0 + 0.5 * k, 0.8 + 0.5 * k))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(k), labels)
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = cm.max() / 2 if cm.size else 0
    for i in range(k):
        for j in range(k):
            color = "white" if cm[i, j] > threshold else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color=color, fontsize=8)
    accuracy = np.trace(cm) / max(cm.sum(), 1)
    ax.set_title(f"test confusion matrix (accuracy {accuracy:.3f})")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
