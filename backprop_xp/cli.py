"""The ``backprop-xp`` command: train, evaluate, gradcheck, info.

A thin shell over the library: argument parsing here, all math in the package.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .backends import DTYPES, BackendUnavailableError, available_backends, to_numpy

DEFAULTS = {
    "hidden": "256",
    "activation": "relu",
    "optimizer": "sgd",
    "lr": 0.05,
    "momentum": 0.9,
    "weight_decay": 1e-3,
    "epochs": 60,
    "batch_size": 32,
}


# --- output -----------------------------------------------------------------
class Console:
    """rich when installed, plain text otherwise."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        try:
            from rich.console import Console as RichConsole

            self._rich = RichConsole()
        except ImportError:
            self._rich = None

    def print(self, text: str = "") -> None:
        if self.quiet:
            return
        if self._rich is not None:
            self._rich.print(text, highlight=False)
        else:
            print(text)

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if self.quiet:
            return
        if self._rich is not None:
            from rich.table import Table

            table = Table(title=title)
            for c in columns:
                table.add_column(c)
            for row in rows:
                table.add_row(*[str(v) for v in row])
            self._rich.print(table)
            return
        cells = [list(columns)] + [[str(v) for v in r] for r in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
        print(title)
        for r in cells:
            print("  ".join(v.ljust(w) for v, w in zip(r, widths)))


def esc(text: Any) -> str:
    """Escape square brackets so rich does not read them as markup."""
    try:
        from rich.markup import escape
    except ImportError:
        return str(text)
    return escape(str(text))


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


# --- arguments --------------------------------------------------------------
def _int_list(text: str) -> list[int]:
    if text.strip() in ("", "none"):
        return []
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 128,64, got {text!r}"
        ) from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got {text!r}")
    return values


def _add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    p.add_argument(
        "--backend",
        default=None,
        choices=["numpy", "cupy", "torch", "array_api_strict"],
        help="array library (default: numpy on cpu, cupy on cuda)",
    )


def _add_data(p: argparse.ArgumentParser, default: str | None) -> None:
    p.add_argument(
        "--data",
        default=default,
        required=default is None,
        help="digits, xor, spirals, moons, or a path to .npz / .csv / IDX images"
        + (f" (default: {default})" if default else ""),
    )
    p.add_argument("--labels", default=None, help="IDX labels file to go with IDX images")
    p.add_argument(
        "--split-seed",
        type=int,
        default=0,
        help="seed of the train/validation/test split (default: 0)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``backprop-xp``."""
    parser = argparse.ArgumentParser(
        prog="backprop-xp",
        description="Train feed-forward networks by explicit backpropagation on CPU or GPU.",
    )
    parser.add_argument("--version", action="version", version=f"backprop-xp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a network and write a run folder")
    _add_data(t, "digits")
    t.add_argument(
        "--hidden",
        type=_int_list,
        default=_int_list(DEFAULTS["hidden"]),
        help=f"hidden layer widths, comma-separated (default: {DEFAULTS['hidden']})",
    )
    t.add_argument(
        "--activation",
        default=DEFAULTS["activation"],
        choices=["sigmoid", "tanh", "relu", "leaky_relu", "identity"],
        help=f"hidden activation (default: {DEFAULTS['activation']})",
    )
    t.add_argument(
        "--init",
        default=None,
        choices=["xavier", "he", "normal", "zeros"],
        help="initialiser (default: he for relu/leaky_relu, xavier otherwise)",
    )
    t.add_argument("--optimizer", default=DEFAULTS["optimizer"], choices=["sgd", "adam"])
    t.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"learning rate (default: {DEFAULTS['lr']} for sgd, 0.001 for adam)",
    )
    t.add_argument(
        "--momentum", type=float, default=DEFAULTS["momentum"], help="SGD momentum (default 0.9)"
    )
    t.add_argument("--nesterov", action="store_true", help="Nesterov momentum (sgd)")
    t.add_argument(
        "--weight-decay",
        type=float,
        default=DEFAULTS["weight_decay"],
        help=f"L2 on weights (default: {DEFAULTS['weight_decay']})",
    )
    t.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    t.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    t.add_argument("--seed", type=int, default=0, help="seed of weights and shuffles (default: 0)")
    t.add_argument("--early-stopping", action="store_true", help="stop on validation loss")
    t.add_argument("--patience", type=int, default=10)
    t.add_argument(
        "--no-standardize",
        action="store_true",
        help="feed raw features (default: standardise with training-set mean and std)",
    )
    _add_device(t)
    t.add_argument("--dtype", default="float32", choices=list(DTYPES))
    t.add_argument("--out", default=None, help="run folder (default: runs/<data>-<time>)")
    t.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    t.add_argument("--quiet", action="store_true", help="no progress bar or tables")

    e = sub.add_parser("evaluate", help="score a saved model on a data set")
    e.add_argument("model", help="model file written by train (model.safetensors)")
    _add_data(e, None)
    e.add_argument(
        "--split",
        default="test",
        choices=["test", "all"],
        help="the held-out test split (same --split-seed as train) or all rows (default: test)",
    )
    _add_device(e)

    g = sub.add_parser("gradcheck", help="check backprop against central differences")
    g.add_argument("--sizes", type=_int_list, default=[4, 5, 3], help="layer widths (4,5,3)")
    g.add_argument("--activation", default="tanh")
    g.add_argument("--output", default="softmax")
    g.add_argument("--loss", default="cross_entropy", choices=["mse", "cross_entropy"])
    g.add_argument("--batch", type=int, default=8, help="samples in the check batch")
    g.add_argument("--dtype", default="float64", choices=list(DTYPES))
    g.add_argument("--seed", type=int, default=0)
    _add_device(g)

    sub.add_parser("info", help="which backends and devices are usable here")
    return parser


# --- commands ---------------------------------------------------------------
def _load_data(args: argparse.Namespace) -> Any:
    from .datasets import load_dataset

    data = load_dataset(args.data, labels=args.labels, seed=args.split_seed)
    if data.task == "classification" and data.n_classes < 2:
        raise ValueError(f"data={args.data!r} has a single class; nothing to classify")
    return data


def _architecture(data: Any) -> dict[str, Any]:
    """Output units, output activation and loss that fit the data's targets."""
    if data.task == "classification":
        k = data.n_classes
        output = "softmax" if k > 2 else "sigmoid"
        return {"n_out": k if k > 2 else 1, "output": output, "loss": "cross_entropy"}
    return {"n_out": data.n_outputs, "output": "identity", "loss": "mse"}


def _scores(net: Any, splits: dict[str, tuple[Any, Any]]) -> dict[str, dict[str, Any]]:
    scores = {}
    for name, (X, y) in splits.items():
        if len(y):
            scores[name] = {"samples": len(y), **net.evaluate(X, y)}
    return scores


def _rows(scores: dict[str, dict[str, Any]]) -> list[list[Any]]:
    return [
        [name, s["samples"], _fmt(s["loss"]), _fmt(s.get("accuracy", s.get("r2")))]
        for name, s in scores.items()
    ]


def cmd_train(args: argparse.Namespace, console: Console) -> int:
    from . import MLP
    from .datasets import Standardizer, train_val_test_split
    from .optimizers import SGD, Adam
    from .plotting import confusion_matrix, plot_confusion, plot_history

    data = _load_data(args)
    (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = train_val_test_split(data, seed=args.split_seed)
    scaler = None if args.no_standardize else Standardizer.fit(X_tr)
    if scaler is not None:
        X_tr, X_val, X_te = scaler(X_tr), scaler(X_val), scaler(X_te)
    arch = _architecture(data)
    sizes = [data.X.shape[1], *args.hidden, arch["n_out"]]
    init = args.init or ("he" if args.activation in ("relu", "leaky_relu") else "xavier")
    net = MLP(
        sizes,
        activation=args.activation,
        output=arch["output"],
        loss=arch["loss"],
        init=init,
        device=args.device,
        backend=args.backend,
        dtype=args.dtype,
        seed=args.seed,
    )
    if args.optimizer == "sgd":
        opt: Any = SGD(
            args.lr if args.lr is not None else DEFAULTS["lr"],
            momentum=args.momentum,
            nesterov=args.nesterov,
            weight_decay=args.weight_decay,
        )
    else:
        opt = Adam(args.lr if args.lr is not None else 1e-3, weight_decay=args.weight_decay)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run = Path(args.out) if args.out else Path("runs") / f"{Path(args.data).stem}-{stamp}"
    run.mkdir(parents=True, exist_ok=True)
    console.print(
        f"[bold]backprop-xp train[/bold]: {data.name} ({data.X.shape[0]} samples: "
        f"{len(y_tr)} train / {len(y_val)} validation / {len(y_te)} test), "
        f"network {sizes} {args.activation}/{arch['output']}, {opt!r}, "
        f"{net.backend} on {args.device}, {args.dtype}"
    )
    start = time.perf_counter()
    history = net.fit(
        X_tr,
        y_tr,
        epochs=args.epochs,
        batch_size=args.batch_size,
        optimizer=opt,
        validation_data=(X_val, y_val) if len(y_val) else None,
        seed=args.seed,
        early_stopping=args.early_stopping,
        patience=args.patience,
        progress=not args.quiet,
    )
    seconds = time.perf_counter() - start
    if history.message:
        console.print(f"[yellow]{esc(history.message)}[/yellow]")

    extra = {}
    if scaler is not None:
        extra = {"input.mean": scaler.mean, "input.scale": scaler.scale}
    net.save(run / "model.safetensors", extra=extra)
    history.save(run / "history.json")
    splits = {"train": (X_tr, y_tr), "validation": (X_val, y_val), "test": (X_te, y_te)}
    scores = _scores(net, splits)
    metric = "accuracy" if data.task == "classification" else "R²"
    console.table(
        f"{data.name}: {len(history.epoch)} epochs in {seconds:.1f} s",
        ["split", "samples", "loss", metric],
        _rows(scores),
    )
    summary = {
        "data": data.name,
        "sizes": sizes,
        "activation": args.activation,
        "output": arch["output"],
        "optimizer": opt.config(),
        "epochs_run": len(history.epoch),
        "batch_size": args.batch_size,
        "seed": args.seed,
        "split_seed": args.split_seed,
        "backend": net.backend,
        "device": args.device,
        "dtype": args.dtype,
        "train_seconds": seconds,
        "scores": scores,
        "stopped": history.stopped,
    }
    (run / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    if not args.no_plots:
        try:
            plot_history(history, run / "learning_curves.png", title=f"{data.name} {sizes}")
            if data.task == "classification":
                pred = to_numpy(net.predict(X_te))
                cm = confusion_matrix(y_te, pred, data.n_classes)
                plot_confusion(cm, run / "confusion_matrix.png")
        except ImportError as exc:
            console.print(f"[yellow]no plots: {esc(exc)}[/yellow]")
    console.print(f"run folder: {esc(run)}")
    return 0


def cmd_evaluate(args: argparse.Namespace, console: Console) -> int:
    from .datasets import train_val_test_split
    from .io import load, read

    _, _, _, extra = read(args.model)
    net = load(args.model, device=args.device, backend=args.backend)
    data = _load_data(args)
    if args.split == "test":
        _, _, (X, y) = train_val_test_split(data, seed=args.split_seed)
    else:
        X, y = data.X, data.y
    if "input.mean" in extra and "input.scale" in extra:
        X = (X - extra["input.mean"]) / extra["input.scale"]
    rows = _rows(_scores(net, {args.split: (X, y)}))
    metric = "accuracy" if net.is_classifier else "R²"
    console.table(
        f"{esc(args.model)} on {esc(data.name)}", ["split", "samples", "loss", metric], rows
    )
    return 0


def cmd_gradcheck(args: argparse.Namespace, console: Console) -> int:
    from . import MLP, gradcheck

    net = MLP(
        args.sizes,
        activation=args.activation,
        output=args.output,
        loss=args.loss,
        device=args.device,
        backend=args.backend,
        dtype=args.dtype,
        seed=args.seed,
    )
    rng = np.random.default_rng(args.seed)
    X = rng.standard_normal((args.batch, args.sizes[0]))
    if args.loss == "cross_entropy" and args.output == "softmax":
        Y: Any = rng.integers(0, args.sizes[-1], size=args.batch)
    elif args.loss == "cross_entropy":
        Y = (rng.random((args.batch, args.sizes[-1])) > 0.5).astype(np.float64)
    else:
        Y = rng.standard_normal((args.batch, args.sizes[-1]))
    result = gradcheck(net, X, Y)
    tolerance = 1e-5 if args.dtype == "float64" else 2e-2
    rows = [
        [l, f"{w:.2e}", f"{b:.2e}"] for l, (w, b) in enumerate(zip(result.weights, result.biases))
    ]
    console.table(
        f"gradcheck {args.sizes} {args.activation}/{args.output}/{args.loss}, "
        f"{net.backend} {args.device} {args.dtype}: max relative error per layer",
        ["layer", "dW", "db"],
        rows,
    )
    if result.near_kinks:
        console.print(
            f"[yellow]note: {result.near_kinks} ReLU-type pre-activation(s) lie within one step "
            "of the kink at 0; central differences are unreliable there[/yellow]"
        )
    ok = result.max_error < tolerance
    verdict = "[green]PASS[/green]" if ok else "[red]FAIL[/red]"
    console.print(
        f"{verdict}: largest error {result.max_error:.2e} (tolerance {tolerance:g}) "
        f"over {result.checked} parameters"
    )
    return 0 if ok else 1


def cmd_info(args: argparse.Namespace, console: Console) -> int:
    rows = [
        [b, d, "[green]usable[/green]" if s == "ok" else esc(s)] for b, d, s in available_backends()
    ]
    title = f"backprop-xp {__version__}: backends on this machine"
    console.table(title, ["backend", "device", "status"], rows)
    return 0


COMMANDS = {
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "gradcheck": cmd_gradcheck,
    "info": cmd_info,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``backprop-xp``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    console = Console(quiet=getattr(args, "quiet", False))
    try:
        return COMMANDS[args.command](args, console)
    except (ValueError, TypeError, FileNotFoundError, BackendUnavailableError, ImportError) as exc:
        print(f"backprop-xp {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
