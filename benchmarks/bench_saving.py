"""Saving and loading a model of about 100 MB: ``.keras`` / ``.weights.h5`` against torch.

Each round, back to back in one process and into the same folder:

- save: ``model.save("m.keras")`` and ``model.save_weights("m.weights.h5")`` against
  ``torch.save(model.state_dict(), "m.pt")``;
- load: ``keras.saving.load_model("m.keras")`` (rebuilds the model from its config, then
  reads the weights) against what a PyTorch user does to get the model back: build the
  same model and ``load_state_dict(torch.load("m.pt"))``; ``model.load_weights`` against
  ``load_state_dict(torch.load(...))`` into an existing model.

The report is the median of the per-round ratios (the machines here are shared and noisy).
A large write that follows another pays for the first one's pages still going to disk, so
every timed operation starts after ``os.sync()`` (untimed).

    python benchmarks/bench_saving.py              # ~100 MB of float32 weights
    python benchmarks/bench_saving.py --width 256  # a quick run
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import torch

import torchseq
from torchseq import layers, saving


def build(width: int, depth: int) -> torchseq.Sequential:
    stack = [torchseq.Input((width,))]
    stack += [layers.Dense(width, activation="relu") for _ in range(depth)]
    return torchseq.Sequential([*stack, layers.Dense(10)])


def timed(fn: Callable[[], object]) -> float:
    os.sync()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(args: argparse.Namespace) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="bench-saving-") as folder:
        return measure(args, folder)


def measure(args: argparse.Namespace, folder: str) -> dict[str, list[float]]:
    model = build(args.width, args.depth)  # not compiled: the weights alone, like a state dict
    keras_path = os.path.join(folder, "m.keras")
    weights_path = os.path.join(folder, "m.weights.h5")
    torch_path = os.path.join(folder, "m.pt")
    ratios: dict[str, list[float]] = {
        "model.save / torch.save": [],
        "save_weights / torch.save": [],
        "load_model / build + torch.load": [],
        "load_weights / torch.load into the model": [],
    }
    for round_index in range(args.rounds + 1):  # the first round warms up
        torch_save = timed(lambda: torch.save(model.state_dict(), torch_path))
        keras_save = timed(lambda: model.save(keras_path))
        weights_save = timed(lambda: model.save_weights(weights_path))

        def torch_rebuild() -> None:
            copy = build(args.width, args.depth)
            copy.load_state_dict(torch.load(torch_path, weights_only=True))

        torch_load = timed(torch_rebuild)
        keras_load = timed(lambda: saving.load_model(keras_path, compile=False))
        torch_into = timed(lambda: model.load_state_dict(torch.load(torch_path, weights_only=True)))
        weights_into = timed(lambda: model.load_weights(weights_path))
        if round_index:
            ratios["model.save / torch.save"].append(keras_save / torch_save)
            ratios["save_weights / torch.save"].append(weights_save / torch_save)
            ratios["load_model / build + torch.load"].append(keras_load / torch_load)
            ratios["load_weights / torch.load into the model"].append(weights_into / torch_into)
    size = os.path.getsize(torch_path) / 2**20
    print(f"model: {model.count_params():,} parameters, state dict {size:.0f} MiB on disk")
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=2048)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    ratios = run(args)
    print("| operation | ratio (median of rounds) |")
    print("|---|---|")
    for name, values in ratios.items():
        print(f"| {name} | {statistics.median(values):.2f}x |")


if __name__ == "__main__":
    main()
