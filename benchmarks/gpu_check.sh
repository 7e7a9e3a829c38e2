#!/usr/bin/env bash
# One prepared check for a machine with an NVIDIA GPU (about 5 minutes):
#   1. which backends and devices are usable (backprop-xp info, nvidia-smi);
#   2. the gpu-marked tests (CuPy and torch-cuda against NumPy) and the rest of the suite;
#   3. the GPU step benchmark (S, M, L, XL) and the GPU memory benchmark.
# Results go to the folder given as the first argument, else $OUT, else
# benchmarks/results/gpu. It installs nothing heavy: CuPy and torch must be there.
# Without a GPU it says so, runs what a CPU allows (the suite with GPU tests
# skipped) and exits with status 3.
set -uo pipefail
cd "$(dirname "$0")/.."

DEST="${1:-${OUT:-benchmarks/results/gpu}}"
mkdir -p "$DEST"
LOG="$DEST/gpu_check.log"
: >"$LOG"
say() { echo "$*" | tee -a "$LOG"; }

PY="${PYTHON:-python}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # the package from this tree, no install needed
if ! "$PY" -c "import backprop_xp, pytest" 2>/dev/null; then
    say "== installing the light dependencies (array-api-compat, pytest, safetensors)"
    "$PY" -m pip install --quiet "array-api-compat>=1.11" "array-api-strict>=2.3" pytest \
        safetensors 2>&1 | tail -3 | tee -a "$LOG"
    if ! "$PY" -c "import backprop_xp, pytest" 2>/dev/null; then
        say "gpu_check: cannot import backprop_xp and pytest here (offline without a wheelhouse?)"
        exit 4
    fi
fi

say "== machine"
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee -a "$LOG"
else
    say "nvidia-smi: not found"
fi
"$PY" -m backprop_xp.cli info 2>&1 | tee -a "$LOG"

GPU=$("$PY" - <<'EOF'
import backprop_xp as bx
ok = [f"{b}" for b, d, s in bx.available_backends() if d == "cuda" and s == "ok"]
print(",".join(ok))
EOF
)
if [ -z "$GPU" ]; then
    say "NO GPU FOUND: neither CuPy nor torch can use a CUDA device here."
    say "== test suite (GPU tests will be skipped)"
    timeout 240 "$PY" -m pytest -q -x -p no:cacheprovider 2>&1 | tail -5 | tee -a "$LOG"
    say "gpu_check: no GPU found; GPU tests and benchmarks were not run."
    exit 3
fi
say "GPU backends usable: $GPU"

say "== gpu-marked tests"
timeout 150 "$PY" -m pytest -q -m gpu -p no:cacheprovider -rs 2>&1 | tail -15 | tee -a "$LOG"
status_tests=${PIPESTATUS[0]}

say "== GPU step benchmark"
timeout 150 "$PY" benchmarks/bench_step.py --gpu --out "$DEST" 2>&1 | tail -25 | tee -a "$LOG"

say "== GPU memory benchmark"
timeout 60 "$PY" benchmarks/bench_memory.py --gpu --out "$DEST" 2>&1 | tail -12 | tee -a "$LOG"

say "gpu_check: done (gpu tests exit status $status_tests); results in $DEST"
exit "$status_tests"
