"""Peak memory of one training step against the minimum it needs.

The minimum is what backpropagation must hold at its peak: the parameters, their
gradients, and the activations of every layer (input included) kept for BP4 —
``2·P + m·Σ n_l`` numbers. The peak is the parameters plus the batch already on
the device plus the highest extra allocation seen during one ``train_step``
(after a warm-up step, so optimizer state exists):

* NumPy, "all": ``tracemalloc``'s peak, which counts array buffers *and* Python
  objects (array headers, lists, frames);
* NumPy, "arrays": array buffers only (NumPy's tracemalloc domain), sampled at
  every function return of the step;
* GPU: a CuPy memory hook, or ``torch.cuda.max_memory_allocated``.

Usage: ``python benchmarks/bench_memory.py [--quick] [--gpu] [--shapes S,M,L] [--out DIR]``
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_step import SHAPES, _data
from common import machine, markdown_table, write_results

import backprop_xp as bx


def minimum_bytes(sizes: list[int], m: int, itemsize: int = 4) -> int:
    """Parameters + gradients + activations (input included), in bytes."""
    params = sum(o * i + o for i, o in itertools.pairwise(sizes))
    return (2 * params + m * sum(sizes)) * itemsize


def _net(sizes: list[int], m: int, backend: str, device: str) -> tuple[Any, Any, Any]:
    net = bx.MLP(sizes, activation="relu", init="he", backend=backend, device=device, seed=0)
    X, y = _data(sizes, m)
    be = net._backend
    Xd = be.asarray(X, net.dtype)
    Yd = be.asarray(np.eye(sizes[-1], dtype=np.float32)[y], net.dtype)
    return net, Xd, Yd


def resident_bytes(net: Any, X: Any, Y: Any) -> int:
    """Parameters and batch: what exists before the step starts."""
    arrays = [*net.weights, *net.biases, X, Y]
    return sum(int(np.prod(a.shape)) * 4 for a in arrays)


def peak_numpy(sizes: list[int], m: int) -> int:
    net, X, Y = _net(sizes, m, "numpy", "cpu")
    opt = bx.SGD(0.01)
    net.train_step(X, Y, opt)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    net.train_step(X, Y, opt)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return resident_bytes(net, X, Y) + peak - base


def peak_numpy_arrays(sizes: list[int], m: int) -> int:
    """Like :func:`peak_numpy`, counting NumPy's array buffers only."""
    net, X, Y = _net(sizes, m, "numpy", "cpu")
    opt = bx.SGD(0.01)
    net.train_step(X, Y, opt)
    only_arrays = [tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)]

    def array_bytes() -> int:
        snapshot = tracemalloc.take_snapshot().filter_traces(only_arrays)
        return sum(trace.size for trace in snapshot.traces)

    peak = 0

    def sample(frame: Any, event: str, arg: Any) -> None:
        nonlocal peak
        if event in ("return", "c_return"):
            peak = max(peak, array_bytes())

    tracemalloc.start()
    base = array_bytes()
    sys.setprofile(sample)
    try:
        net.train_step(X, Y, opt)
    finally:
        sys.setprofile(None)
        tracemalloc.stop()
    return resident_bytes(net, X, Y) + peak - base


def peak_cupy(sizes: list[int], m: int) -> int:
    import cupy

    class Peak(cupy.cuda.MemoryHook):
        name = "peak"

        def __init__(self) -> None:
            self.now = self.peak = 0
            self.sizes: dict[int, int] = {}

        def malloc_postprocess(self, **kw: Any) -> None:  # a block taken from the pool
            self.sizes[kw["mem_ptr"]] = kw["mem_size"]
            self.now += kw["mem_size"]
            self.peak = max(self.peak, self.now)

        def free_postprocess(self, **kw: Any) -> None:  # a block given back to the pool
            self.now -= self.sizes.pop(kw["mem_ptr"], 0)  # blocks from before the hook: ignore

    net, X, Y = _net(sizes, m, "cupy", "cuda")
    opt = bx.SGD(0.01)
    net.train_step(X, Y, opt)
    cupy.cuda.Device().synchronize()
    hook = Peak()
    with hook:
        net.train_step(X, Y, opt)
        cupy.cuda.Device().synchronize()
    return resident_bytes(net, X, Y) + hook.peak


def peak_torch_cuda(sizes: list[int], m: int, autograd: bool) -> int:
    import torch

    torch.cuda.synchronize()
    torch.cuda.empty_cache()
    before = torch.cuda.memory_allocated()
    if autograd:
        from bench_step import torch_case

        step = torch_case("cuda", sizes, m).step
    else:
        net, X, Y = _net(sizes, m, "torch", "cuda")
        opt = bx.SGD(0.01)

        def step() -> Any:
            return net.train_step(X, Y, opt)

    step()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--quick", action="store_true", help="S and M only")
    p.add_argument("--gpu", action="store_true")
    p.add_argument("--shapes", default=None)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    shapes = (
        args.shapes.split(",")
        if args.shapes
        else (["S", "M", "L", "XL"] if args.gpu else ["S", "M", "L"])
    )
    usable = {(b, d) for b, d, s in bx.available_backends() if s == "ok"}
    rows, raw = [], []
    for shape in shapes:
        sizes, m = SHAPES[shape]
        need = minimum_bytes(sizes, m)
        measured: dict[str, int] = {}
        if args.gpu:
            if ("cupy", "cuda") in usable:
                measured["backprop_xp (cupy)"] = peak_cupy(sizes, m)
            if ("torch", "cuda") in usable:
                measured["backprop_xp (torch)"] = peak_torch_cuda(sizes, m, autograd=False)
                measured["torch autograd"] = peak_torch_cuda(sizes, m, autograd=True)
        else:
            measured["backprop_xp (numpy), all"] = peak_numpy(sizes, m)
            measured["backprop_xp (numpy), arrays"] = peak_numpy_arrays(sizes, m)
        for who, peak in measured.items():
            raw.append({"shape": shape, "implementation": who, "peak": peak, "minimum": need})
            rows.append(
                [shape, m, who, f"{need / 2**20:.2f}", f"{peak / 2**20:.2f}", f"{peak / need:.2f}"]
            )
    if not rows:
        print("bench_memory: nothing to measure here (no GPU backend usable)", file=sys.stderr)
        return 3
    table = markdown_table(
        ["shape", "batch", "implementation", "minimum MiB", "peak MiB", "peak / minimum"], rows
    )
    name = "memory_gpu" if args.gpu else "memory_cpu"
    out = write_results(name, {"machine": machine(), "rows": raw}, table, args.out)
    print(table)
    print(f"\nwritten: {out / (name + '.json')} and {name}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
