#!/usr/bin/env bash
# The checks that need a GPU, in one go (run on a machine with CUDA; CI has none):
# the CUDA tests, then bench_fit on the GPU (eager, jit_compile, mixed precision).
# Usage: bash scripts/gpu_check.sh [output folder]
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu_check}"
mkdir -p "$out"
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name())" | tee "$out/device.txt"
python -c "import torchseq" 2>/dev/null || pip install --quiet --no-deps -e .
# Tests that exercise CUDA (the rest skip nothing on a GPU machine but take CPU time).
python -m pytest -q -x -rs tests/training/test_device_placement.py tests/training/test_mixed_precision.py \
    tests/training/test_jit_compile.py tests/training/test_fused_logits.py -k "cuda or float16 or device or compile or fused" \
    2>&1 | tail -30 | tee "$out/tests.txt"
# fit's steps on the GPU: torch raises at any operation that waits for the device.
python -m pytest -q -rs tests/training/test_host_syncs.py -k cuda 2>&1 | tail -15 \
    | tee -a "$out/tests.txt"
python benchmarks/bench_fit.py --device cuda --rounds 3 --jit --no-keras 2>&1 | tee "$out/bench_float32.txt"
for policy in mixed_bfloat16 mixed_float16; do
    python benchmarks/bench_fit.py --device cuda --rounds 3 --no-keras --workloads convnet \
        --policy "$policy" 2>&1 | tee "$out/bench_$policy.txt"
done
