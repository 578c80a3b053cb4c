"""Recurrent layers under a right-padded mask: torch's fused kernel against the step loop.

A batch of token sequences padded at the end (what ``Embedding(mask_zero=True)`` produces)
keeps SimpleRNN, LSTM and GRU on torch's fused kernels; before, any mask sent them to a
Python loop over time steps. Each round times one training step (forward and backward) of
the same layer with the same weights three ways, back to back: without a mask, with the
padded mask (fused), and with the padded mask through the step loop (forced here by
switching the fused path off); the report is the median over rounds.

    python benchmarks/bench_masked_rnn.py            # CPU, one thread
    python benchmarks/bench_masked_rnn.py --device cuda
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from torchseq.layers import GRU, LSTM, SimpleRNN

LAYERS = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}


def step(layer: torch.nn.Module, x: torch.Tensor, mask: torch.Tensor | None) -> None:
    layer.zero_grad(set_to_none=True)
    outputs = layer(x, mask=mask, training=True)
    outputs.square().mean().backward()


def timed(fn, repeats: int, device: str) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def run(name: str, args: argparse.Namespace) -> tuple[float, float, float]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, args.steps, args.features, generator=generator).to(args.device)
    lengths = torch.randint(args.steps // 5, args.steps + 1, (args.batch,), generator=generator)
    mask = (torch.arange(args.steps) < lengths[:, None]).to(args.device)
    fused = LAYERS[name](args.units, return_sequences=True).to(args.device)
    looped = LAYERS[name](args.units, return_sequences=True).to(args.device)
    fused(x), looped(x)
    looped.set_weights(fused.get_weights())
    looped._fused_run = lambda *arguments: None  # the step loop, as any mask used to run
    rows = []
    for _ in range(args.rounds + 1):  # the first round warms up
        rows.append(
            (
                timed(lambda: step(fused, x, None), args.repeats, args.device),
                timed(lambda: step(fused, x, mask), args.repeats, args.device),
                timed(lambda: step(looped, x, mask), args.repeats, args.device),
            )
        )
    return tuple(statistics.median(column) * 1e3 for column in zip(*rows[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--units", type=int, default=64)
    args = parser.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(1)
    print(
        f"device={args.device} threads={torch.get_num_threads()} batch={args.batch} "
        f"steps={args.steps} features={args.features} units={args.units}, one training step"
    )
    print("| layer | no mask | right-padded mask (fused) | same mask, step loop | loop / fused |")
    print("|---|---|---|---|---|")
    for name in LAYERS:
        plain, fused, looped = run(name, args)
        print(
            f"| {name} | {plain:.1f} ms | {fused:.1f} ms | {looped:.1f} ms | "
            f"{looped / fused:.1f}x |"
        )


if __name__ == "__main__":
    main()
