"""Median time of one training step: backprop_xp vs PyTorch autograd vs the matmul floor.

For each shape (ReLU hidden layers, softmax + cross-entropy, plain SGD, float32):

* ``backprop_xp (<backend>)``: ``net.train_step(X, Y, SGD)`` on each usable backend;
* ``torch autograd``: the same network as ``torch.nn.Sequential`` with
  ``CrossEntropyLoss`` and ``torch.optim.SGD`` (zero_grad, forward, backward, step);
* ``floor (<backend>)``: only the matrix products backprop needs, through the same
  library — per layer the forward ``a @ Wᵀ`` and the weight gradient ``δᵀ @ a``, and
  ``δ @ W`` for every layer but the first (the input needs no δ): 3L - 1 products
  for L layers.

All cases of one shape are timed in turns (one sample of each per round) and each
reports the median, so ratios compare numbers from the same minutes of the same
process. CPU rows use a host clock (NumPy and torch on the CPU run synchronously);
GPU rows use CUDA events (CuPy's or torch's) around a loop of steps. TF32 is off
(``torch.backends.cuda.matmul.allow_tf32 = False``; CuPy uses TF32 only with
``CUPY_TF32=1``).

Usage: ``python benchmarks/bench_step.py [--quick] [--gpu] [--shapes S,M,L] [--out DIR]``
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Case, interleaved_medians, machine, markdown_table, write_results

import backprop_xp as bx

SHAPES = {
    "S": ([64, 32, 10], 32),
    "M": ([784, 256, 128, 10], 128),
    "L": ([1024, 2048, 2048, 10], 512),
    "XL": ([4096, 8192, 8192, 4096], 4096),
}
LR = 0.01


def _data(sizes: list[int], m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], size=m)
    return X, y


def _clock(backend: str, device: str) -> str:
    return backend if device.startswith("cuda") else "host"


def bx_case(backend: str, device: str, sizes: list[int], m: int) -> Case:
    """backprop_xp's ``train_step`` on a backend, with the batch already on the device."""
    net = bx.MLP(
        sizes,
        activation="relu",
        output="softmax",
        loss="cross_entropy",
        init="he",
        backend=backend,
        device=device,
        dtype="float32",
        seed=0,
    )
    X, y = _data(sizes, m)
    be = net._backend
    Xd = be.asarray(X, net.dtype)
    Yd = be.asarray(np.eye(sizes[-1], dtype=np.float32)[y], net.dtype)
    opt = bx.SGD(LR)
    return Case(lambda: net.train_step(Xd, Yd, opt), _clock(backend, device), backend)


def floor_case(backend: str, device: str, sizes: list[int], m: int) -> Case:
    """The matrix products alone, through the same library."""
    be = bx.resolve_backend(device, backend)
    xp, f32 = be.xp, be.dtype("float32")
    rng = np.random.default_rng(0)

    def rand(*shape: int) -> Any:
        return be.asarray(rng.standard_normal(shape).astype(np.float32), f32)

    W = [rand(o, i) for i, o in itertools.pairwise(sizes)]
    a = [rand(m, n) for n in sizes[:-1]]
    d = [rand(m, n) for n in sizes[1:]]

    def step() -> list[Any]:
        out = [xp.matmul(a[l], W[l].T) for l in range(len(W))]  # forward
        for l in range(len(W) - 1, -1, -1):
            if l > 0:
                out.append(xp.matmul(d[l], W[l]))  # BP2's δ·W
            out.append(xp.matmul(d[l].T, a[l]))  # BP4's δᵀ·a
        return out

    return Case(step, _clock(backend, device), backend)


def torch_case(device: str, sizes: list[int], m: int) -> Case:
    """torch.nn + autograd + torch.optim.SGD, the idiomatic PyTorch training step."""
    import torch

    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers).to(device)
    X, y = _data(sizes, m)
    Xt = torch.tensor(X, device=device)
    yt = torch.tensor(y, device=device)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def step() -> Any:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()
        return loss

    return Case(step, _clock("torch", device), "torch")


def run(shapes: list[str], gpu: bool, quick: bool) -> list[dict[str, Any]]:
    """Time every implementation at every shape; one row per (shape, implementation)."""
    rows: list[dict[str, Any]] = []
    usable = {(b, d) for b, d, s in bx.available_backends() if s == "ok"}
    device = "cuda" if gpu else "cpu"
    backends = [
        b for b in (("cupy", "torch") if gpu else ("numpy", "torch")) if (b, device) in usable
    ]
    for shape in shapes:
        sizes, m = SHAPES[shape]
        cases: dict[str, Case] = {}
        if ("torch", device) in usable:
            cases["torch autograd"] = torch_case(device, sizes, m)
        for backend in sorted(backends, key=lambda b: b != "torch"):  # torch cases together
            cases[f"floor ({backend})"] = floor_case(backend, device, sizes, m)
            cases[f"backprop_xp ({backend})"] = bx_case(backend, device, sizes, m)
        work = sum(2 * m * i * o for i, o in itertools.pairwise(sizes))
        big = work > 1e9 and not gpu  # steps of a second or so: fewer samples
        repeat = (3 if big else 7) if quick else (7 if big else 25)
        seconds = interleaved_medians(
            cases, repeat, warmup=1 if big else 3, min_time=0.02 if quick else 0.1
        )
        torch_time = seconds.get("torch autograd")
        for name, t in seconds.items():
            floor = None
            if name.startswith("floor"):
                floor = t
            elif name.startswith("backprop_xp"):
                floor = seconds[name.replace("backprop_xp", "floor")]
            rows.append(
                {
                    "shape": shape,
                    "sizes": sizes,
                    "batch": m,
                    "implementation": name,
                    "device": device,
                    "ms": t * 1e3,
                    "x_floor": t / floor if floor else None,
                    "torch_over_this": (
                        torch_time / t if torch_time and name != "torch autograd" else None
                    ),
                }
            )
        print(f"{shape} done", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    return markdown_table(
        ["shape", "batch", "implementation", "device", "ms / step", "× own floor", "vs torch"],
        [
            [
                r["shape"],
                r["batch"],
                r["implementation"],
                r["device"],
                f"{r['ms']:.3f}",
                f"{r['x_floor']:.2f}" if r["x_floor"] else "",
                f"{r['torch_over_this']:.2f}× faster" if r["torch_over_this"] else "",
            ]
            for r in rows
        ],
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few samples (under a minute on CPU)")
    p.add_argument("--gpu", action="store_true", help="GPU rows (CuPy and torch on CUDA)")
    p.add_argument("--shapes", default=None, help="comma-separated subset of S,M,L,XL")
    p.add_argument("--out", default=None, help="output folder (default: benchmarks/results)")
    args = p.parse_args(argv)
    if args.gpu:
        if not any(
            b in ("cupy", "torch") and d == "cuda" and s == "ok"
            for b, d, s in bx.available_backends()
        ):
            print(
                "bench_step --gpu: no CUDA GPU found (neither CuPy nor torch sees one)",
                file=sys.stderr,
            )
            return 3
        try:
            import torch

            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
        except ImportError:
            pass
    default = ["S", "M", "L", "XL"] if args.gpu else ["S", "M", "L"]
    shapes = args.shapes.split(",") if args.shapes else default
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        p.error(f"--shapes: unknown {unknown}; choose from {list(SHAPES)}")
    rows = run(shapes, args.gpu, args.quick)
    name = "step_gpu" if args.gpu else "step_cpu"
    info = machine()
    info["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", "unset")
    payload = {"machine": info, "quick": args.quick, "rows": rows}
    out = write_results(name, payload, table(rows), args.out)
    print(table(rows))
    print(f"\nwritten: {out / (name + '.json')} and {name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
