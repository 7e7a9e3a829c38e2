"""Look inside one backward pass: the 2-2-2 network of the derivation, step by step.

Prints z, a and δ of every layer, the gradients from BP3/BP4, one SGD step, and
the gradient check against central differences. Run it with
``python examples/inspect_backprop.py`` (optionally ``--backend torch``).
"""

from __future__ import annotations

import argparse

import numpy as np

import backprop_xp as bx


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backend", default=None, help="numpy (default), torch, array_api_strict")
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    np.set_printoptions(precision=9, suppress=True)

    # 2 inputs, 2 sigmoid hidden units, 2 sigmoid outputs, quadratic cost (Figure 1)
    net = bx.MLP(
        [2, 2, 2],
        activation="sigmoid",
        output="sigmoid",
        loss="mse",
        backend=args.backend,
        device=args.device,
        dtype="float64",
    )
    net.set_parameters(
        [np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])],
        [np.array([0.35, 0.35]), np.array([0.60, 0.60])],
    )
    X = np.array([[0.05, 0.10]])
    Y = np.array([[0.01, 0.99]])

    trace = net.backprop(X, Y)
    show = bx.to_numpy
    print(f"network {net.sizes} on {net.backend}, cost C = {float(trace.loss):.9f}\n")
    for l in range(len(net.weights)):
        print(f"layer {l + 1}:  z = {show(trace.z[l])[0]}   a = σ(z) = {show(trace.a[l + 1])[0]}")
    print()
    last = len(net.weights) - 1
    for l in range(last, -1, -1):
        rule = "BP1: δ = (a - y) ⊙ σ'(z)" if l == last else "BP2: δ = (δ_next W_next) ⊙ σ'(z)"
        print(f"layer {l + 1}:  {rule:34s} δ = {show(trace.delta[l])[0]}")
    print()
    for l in range(len(net.weights)):
        print(f"layer {l + 1}:  BP4 dW = δᵀ a_prev / m =\n{show(trace.dW[l])}")
        print(f"          BP3 db = Σ δ / m = {show(trace.db[l])}")

    before = float(trace.loss)
    net.train_step(X, Y, bx.SGD(lr=0.5))
    print(f"\none SGD step (lr 0.5): C {before:.9f} -> {float(net.loss_value(X, Y)):.9f}")
    check = bx.gradcheck(net, X, Y)
    print(
        f"gradient check against central differences: largest relative error "
        f"{check.max_error:.1e} over {check.checked} parameters"
    )


if __name__ == "__main__":
    main()
