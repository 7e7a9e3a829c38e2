"""Shared helpers of the benchmark scripts: machine description, timers, output files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """CPU, thread counts and library versions, for the header of every result."""
    info: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    try:
        import cupy

        info["cupy"] = cupy.__version__
    except ImportError:
        pass
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class Case:
    """A thing to time: ``step()``, and how to wait for it (``clock``).

    ``clock`` is ``"host"`` (synchronous CPU work), ``"cupy"`` or ``"torch"``
    (GPU work, timed with that library's CUDA events).
    """

    def __init__(self, step: Callable[[], Any], clock: str = "host", family: str = "") -> None:
        self.step = step
        self.clock = clock
        self.family = family  # the array library; its worker threads spin after each call

    def sync(self) -> None:
        if self.clock == "cupy":
            import cupy

            cupy.cuda.Device().synchronize()
        elif self.clock == "torch":
            import torch

            torch.cuda.synchronize()

    def sample(self, inner: int) -> float:
        """Seconds per step over ``inner`` back-to-back steps."""
        if self.clock == "host":
            start = time.perf_counter()
            for _ in range(inner):
                self.step()
            return (time.perf_counter() - start) / inner
        if self.clock == "cupy":
            import cupy

            begin, end = cupy.cuda.Event(), cupy.cuda.Event()
            begin.record()
            for _ in range(inner):
                self.step()
            end.record()
            end.synchronize()
            return cupy.cuda.get_elapsed_time(begin, end) / 1e3 / inner
        import torch

        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        for _ in range(inner):
            self.step()
        end.record()
        end.synchronize()
        return begin.elapsed_time(end) / 1e3 / inner


def interleaved_medians(
    cases: dict[str, Case],
    repeat: int,
    warmup: int = 3,
    min_time: float = 0.05,
    settle: float = 0.25,
) -> dict[str, float]:
    """Median seconds per step of each case.

    The cases take turns — one timed sample of each per round — so a slow
    spell of a shared machine hits all of them alike and the ratios stay fair.
    Each sample runs enough steps to last about ``min_time`` seconds. When the
    next case belongs to another library the clock waits ``settle`` seconds
    first: OpenBLAS and OpenMP worker threads busy-wait for a while after each
    call, and on a 2-core machine they would steal the cores of the next case.
    """
    inner: dict[str, int] = {}
    for name, case in cases.items():
        for _ in range(warmup):
            case.step()
        case.sync()
        inner[name] = max(1, int(min_time / max(case.sample(1), 1e-7)))
        time.sleep(settle)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    family = None
    for _ in range(repeat):
        for name, case in cases.items():
            case.sync()
            if case.family != family and case.clock == "host":
                time.sleep(settle)
                family = case.family
            samples[name].append(case.sample(inner[name]))
    return {name: statistics.median(v) for name, v in samples.items()}


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, payload: dict[str, Any], table: str, out_dir: Path | None) -> Path:
    """Write ``<name>.json`` and ``<name>.md`` (table with the machine it came from)."""
    out = Path(out_dir) if out_dir else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")
    info = payload["machine"]
    header = ", ".join(f"{k}: {v}" for k, v in info.items())
    (out / f"{name}.md").write_text(f"{table}\n\nMachine: {header}\n")
    return out
