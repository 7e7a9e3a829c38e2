"""backprop_xp.sklearn.MLPClassifier against scikit-learn's MLPClassifier on the digits.

Same architecture (one hidden layer of 100 ReLU units), solver, learning rate,
batch size ("auto" = 200), L2 (alpha = 1e-4) and number of epochs (50, with
early stopping on the training loss switched off so both run every epoch), on a
stratified 75/25 split, inputs scaled to [0, 1]. Reports the median test
accuracy and fit time over several seeds, side by side.

Usage: ``python benchmarks/bench_sklearn.py [--quick] [--out DIR]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, markdown_table, write_results
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP

from backprop_xp.sklearn import MLPClassifier as BxMLP

EPOCHS = 50


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, stratify=y, random_state=0)
    seeds = [0, 1, 2] if args.quick else [0, 1, 2, 3, 4]
    rows, raw = [], []
    for solver, lr in (("adam", 1e-3), ("sgd", 0.1)):
        results: dict[str, list[tuple[float, float]]] = {"backprop_xp": [], "scikit-learn": []}
        for seed in seeds:
            for who, cls in (("backprop_xp", BxMLP), ("scikit-learn", SkMLP)):
                est = cls(
                    hidden_layer_sizes=(100,),
                    solver=solver,
                    learning_rate_init=lr,
                    max_iter=EPOCHS,
                    n_iter_no_change=EPOCHS + 1,
                    tol=0.0,
                    random_state=seed,
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    start = time.perf_counter()
                    est.fit(Xtr, ytr)
                    seconds = time.perf_counter() - start
                results[who].append((est.score(Xte, yte), seconds))
        for who, res in results.items():
            acc = statistics.median(r[0] for r in res)
            sec = statistics.median(r[1] for r in res)
            raw.append({"solver": solver, "library": who, "runs": res})
            rows.append([solver, who, f"{100 * acc:.2f} %", f"{sec:.3f}"])
        print(f"{solver} done", file=sys.stderr, flush=True)
    table = markdown_table(
        ["solver", "estimator", f"median test accuracy ({EPOCHS} epochs)", "median fit seconds"],
        rows,
    )
    out = write_results(
        "sklearn", {"machine": machine(), "epochs": EPOCHS, "runs": raw}, table, args.out
    )
    print(table)
    print(f"\nwritten: {out / 'sklearn.json'} and sklearn.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
