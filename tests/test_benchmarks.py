"""The benchmark scripts still run (tiny sizes; the figures themselves belong in the README)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_masked_rnn_benchmark_prints_a_row_per_layer():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_masked_rnn.py"), "--rounds", "1",
         "--repeats", "1", "--batch", "4", "--steps", "6", "--features", "3", "--units", "2"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "ms" in line]
    assert [row.split("|")[1].strip() for row in rows] == ["SimpleRNN", "LSTM", "GRU"]


def test_saving_benchmark_prints_a_row_per_operation():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_saving.py"), "--width", "8", "--depth", "1",
         "--rounds", "1"],
        capture_output=True, text=True, check=True, timeout=120,
    )
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "x |" in line]
    assert [row.split("|")[1].split()[0] for row in rows] == [
        "model.save", "save_weights", "load_model", "load_weights"
    ]


def test_fit_benchmark_times_a_mixed_precision_model_against_the_float32_loops():
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_fit.py"), "--rounds", "1", "--samples", "256",
         "--workloads", "mlp", "--no-keras", "--jit", "--policy", "mixed_bfloat16"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    assert "policy=mixed_bfloat16" in result.stdout.splitlines()[0]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| mlp |")]
    assert len(rows) == 1 and rows[0].count("x |") == 4  # fit, natural, predict, jit ratios
