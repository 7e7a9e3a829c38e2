"""End to end: wall time for training to reach 97% test accuracy on the 8×8 digits.

backprop_xp's ``fit`` against scikit-learn's ``MLPClassifier`` at the same
architecture ([64, 256, 10], ReLU, softmax/log-loss), batch size, solver,
learning rate, momentum and L2, on the same standardised 70/10/20 split (seed 0)
that ``backprop-xp train`` uses. Both train one epoch at a time (scikit-learn via
``partial_fit``) and score the test set after each; the clock (which includes the
scoring, for both) stops at the first epoch with test accuracy ≥ 97%. Each
configuration runs for several seeds and reports the median.

Usage: ``python benchmarks/bench_digits.py [--quick] [--out DIR]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, markdown_table, write_results

import backprop_xp as bx
from backprop_xp.datasets import Standardizer, load_digits, train_val_test_split

TARGET = 0.97
MAX_EPOCHS = 100
HIDDEN = 256
BATCH = 32

SOLVERS = {
    # name: (backprop_xp optimizer factory, scikit-learn keyword arguments)
    "sgd": (
        lambda: bx.SGD(0.05, momentum=0.9, weight_decay=1e-3),
        {"solver": "sgd", "learning_rate_init": 0.05, "momentum": 0.9, "nesterovs_momentum": False},
    ),
    "adam": (
        lambda: bx.Adam(1e-3, weight_decay=1e-3),
        {"solver": "adam", "learning_rate_init": 1e-3},
    ),
}


def data() -> tuple[Any, ...]:
    (Xtr, ytr), _, (Xte, yte) = train_val_test_split(load_digits(), seed=0)
    scale = Standardizer.fit(Xtr)
    return scale(Xtr), ytr, scale(Xte), yte


def time_ours(solver: str, seed: int, Xtr, ytr, Xte, yte) -> tuple[float | None, int, float]:
    """(seconds to target or None, epochs, final test accuracy)."""
    net = bx.MLP([64, HIDDEN, 10], activation="relu", init="he", seed=seed)
    reached: dict[str, Any] = {}
    start = time.perf_counter()

    def check(net_: Any, record: dict[str, Any]) -> bool:
        acc = net_.evaluate(Xte, yte)["accuracy"]
        reached["acc"], reached["epoch"] = acc, record["epoch"]
        if acc >= TARGET:
            reached["seconds"] = time.perf_counter() - start
            return True
        return False

    net.fit(
        Xtr,
        ytr,
        epochs=MAX_EPOCHS,
        batch_size=BATCH,
        optimizer=SOLVERS[solver][0](),
        seed=seed,
        callbacks=[check],
    )
    return reached.get("seconds"), reached["epoch"], reached["acc"]


def time_sklearn(solver: str, seed: int, Xtr, ytr, Xte, yte) -> tuple[float | None, int, float]:
    from sklearn.neural_network import MLPClassifier

    # scikit-learn adds alpha/batch_size·W to each batch's weight gradient, so
    # alpha = weight_decay · batch_size gives the same L2 as ours (1e-3).
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        alpha=1e-3 * BATCH,
        batch_size=BATCH,
        random_state=seed,
        **SOLVERS[solver][1],
    )
    classes = sorted(set(ytr.tolist()))
    start = time.perf_counter()
    acc = 0.0
    for epoch in range(1, MAX_EPOCHS + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf.partial_fit(Xtr, ytr, classes=classes)
        acc = clf.score(Xte, yte)
        if acc >= TARGET:
            return time.perf_counter() - start, epoch, acc
    return None, MAX_EPOCHS, acc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer seeds")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    seeds = [0, 1, 2] if args.quick else [0, 1, 2, 3, 4]
    Xtr, ytr, Xte, yte = data()
    rows, raw = [], []
    for solver in SOLVERS:
        results: dict[str, list[tuple[float | None, int, float]]] = {
            "backprop_xp": [],
            "scikit-learn": [],
        }
        for seed in seeds:  # alternate the two so machine noise hits both alike
            results["backprop_xp"].append(time_ours(solver, seed, Xtr, ytr, Xte, yte))
            results["scikit-learn"].append(time_sklearn(solver, seed, Xtr, ytr, Xte, yte))
        medians = {}
        for who, res in results.items():
            times = [r[0] for r in res if r[0] is not None]
            medians[who] = statistics.median(times) if len(times) * 2 > len(res) else None
            raw.append({"solver": solver, "library": who, "runs": res})
        for who, res in results.items():
            t = medians[who]
            other = medians["scikit-learn"]
            rows.append(
                [
                    solver,
                    who,
                    f"{sum(r[0] is not None for r in res)}/{len(res)}",
                    f"{statistics.median(r[1] for r in res):g}",
                    f"{t:.3f}" if t else "not reached",
                    f"{1e3 * statistics.median(r[0] / r[1] for r in res if r[0]):.1f}" if t else "",
                    f"{other / t:.2f}×" if t and other and who == "backprop_xp" else "",
                ]
            )
        print(f"{solver} done", file=sys.stderr, flush=True)
    table = markdown_table(
        [
            "solver",
            "library",
            "reached 97%",
            "median epochs",
            "median seconds",
            "ms / epoch",
            "speed-up (seconds)",
        ],
        rows,
    )
    out = write_results(
        "digits", {"machine": machine(), "target": TARGET, "runs": raw}, table, args.out
    )
    print(table)
    print(f"\nwritten: {out / 'digits.json'} and digits.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
