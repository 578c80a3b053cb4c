"""fit() and predict() against a hand-written PyTorch loop doing the same work, in one run.

Each round times, back to back, the hand loop, torchseq and (when installed) Keras 3 on the
torch backend, for one epoch of the same model on the same data; the report is the median
of the per-round ratios to the hand loop (machines here are shared and noisy, so absolute
times mean little).

    python benchmarks/bench_fit.py                 # CPU, one thread
    python benchmarks/bench_fit.py --device cuda   # on a GPU
    python benchmarks/bench_fit.py --device cuda --policy mixed_bfloat16 --workloads convnet

The hand loop's stacked LSTM is three nn.LSTM modules (one fused kernel each), as a
PyTorch user would write it. The "natural loop" is the same model as PyTorch is usually
trained: without its final softmax, ``nn.CrossEntropyLoss`` on integer labels.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")

import torchseq

EPSILON = 1e-7


# ---------------------------------------------------------------------- workloads


def mlp(k):
    model = k.Sequential()
    model.add(k.layers.Dense(64, activation="relu", input_dim=20))
    model.add(k.layers.Dropout(0.5))
    model.add(k.layers.Dense(64, activation="relu"))
    model.add(k.layers.Dropout(0.5))
    model.add(k.layers.Dense(10, activation="softmax"))
    return model


def mlp_torch():
    return torch.nn.Sequential(
        torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(64, 10), torch.nn.Softmax(dim=-1),
    )


def convnet(k):
    model = k.Sequential()
    model.add(k.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)))
    model.add(k.layers.Conv2D(32, (3, 3), activation="relu"))
    model.add(k.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(k.layers.Dropout(0.25))
    model.add(k.layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(k.layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(k.layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(k.layers.Dropout(0.25))
    model.add(k.layers.Flatten())
    model.add(k.layers.Dense(256, activation="relu"))
    model.add(k.layers.Dropout(0.5))
    model.add(k.layers.Dense(10, activation="softmax"))
    return model


class _ChannelsLast(torch.nn.Module):
    """The hand loop takes the same NHWC data; it permutes to NCHW as a torch user would."""

    def forward(self, x):
        return x.permute(0, 3, 1, 2)


def convnet_torch():
    nn = torch.nn
    return nn.Sequential(
        _ChannelsLast(),
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(64 * 5 * 5, 256), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(256, 10), nn.Softmax(dim=-1),
    )


def stacked_lstm(k):
    model = k.Sequential()
    model.add(k.layers.LSTM(32, return_sequences=True, input_shape=(8, 16)))
    model.add(k.layers.LSTM(32, return_sequences=True))
    model.add(k.layers.LSTM(32))
    model.add(k.layers.Dense(10, activation="softmax"))
    return model


class _LastStep(torch.nn.Module):
    def forward(self, outputs):
        return outputs[0][:, -1]


class _Sequences(torch.nn.Module):
    def forward(self, outputs):
        return outputs[0]


def stacked_lstm_torch():
    nn = torch.nn
    return nn.Sequential(
        nn.LSTM(16, 32, batch_first=True), _Sequences(),
        nn.LSTM(32, 32, batch_first=True), _Sequences(),
        nn.LSTM(32, 32, batch_first=True), _LastStep(),
        nn.Linear(32, 10), nn.Softmax(dim=-1),
    )


WORKLOADS = {
    "mlp": {"build": mlp, "build_torch": mlp_torch, "shape": (20,), "samples": 60_000,
            "batch": 128},
    "convnet": {"build": convnet, "build_torch": convnet_torch, "shape": (32, 32, 3),
                "samples": 2_048, "batch": 32},
    "stacked_lstm": {"build": stacked_lstm, "build_torch": stacked_lstm_torch,
                     "shape": (8, 16), "samples": 4_096, "batch": 64},
}


# ---------------------------------------------------------------------- the hand loop


def hand_fit(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int) -> None:
    """One epoch as a careful PyTorch user writes it: randperm, index batches, device stats."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    model.train()
    running_loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    order = torch.randperm(len(x), device=x.device)
    for start in range(0, len(x), batch):
        index = order[start:start + batch]
        xb, yb = x[index], y[index]
        probabilities = model(xb)
        loss = -(yb * torch.log(probabilities.clamp(EPSILON, 1 - EPSILON))).sum(-1).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            running_loss += loss.detach() * len(index)
            correct += (probabilities.argmax(-1) == yb.argmax(-1)).sum()
    float(running_loss), float(correct)  # the epoch's logs reach the host once, as fit's do


def natural_fit(model: torch.nn.Sequential, x: torch.Tensor, labels: torch.Tensor, batch: int) -> None:
    """One epoch as PyTorch is usually written: logits (the model without its final softmax),
    ``nn.CrossEntropyLoss`` on integer labels, accuracy from the logits."""
    logits_model = model[:-1]
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    model.train()
    running_loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    order = torch.randperm(len(x), device=x.device)
    for start in range(0, len(x), batch):
        index = order[start:start + batch]
        xb, yb = x[index], labels[index]
        logits = logits_model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            running_loss += loss.detach() * len(index)
            correct += (logits.argmax(-1) == yb).sum()
    float(running_loss), float(correct)


def hand_predict(model: torch.nn.Module, x: torch.Tensor, batch: int) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)]).cpu().numpy()


# ---------------------------------------------------------------------- the runs


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def sgd(module):
    return module.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)


def run(
    name: str, rounds: int, device: str, with_keras: bool, jit: bool = False,
    samples: int | None = None,
) -> dict[str, float]:
    spec = WORKLOADS[name]
    samples = samples or spec["samples"]
    rng = np.random.default_rng(0)
    x_np = rng.random((samples, *spec["shape"]), dtype=np.float32)
    y_np = np.eye(10, dtype=np.float32)[rng.integers(0, 10, samples)]
    x, y = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)
    labels = y.argmax(-1)

    hand = spec["build_torch"]().to(device)
    natural = spec["build_torch"]().to(device)
    ours = spec["build"](torchseq).to(device)
    ours.compile(loss="categorical_crossentropy", optimizer=sgd(torchseq), metrics=["accuracy"])
    compiled = None
    if jit:  # the same model with jit_compile=True, against eager torchseq
        compiled = spec["build"](torchseq).to(device)
        compiled.compile(
            loss="categorical_crossentropy", optimizer=sgd(torchseq), metrics=["accuracy"],
            jit_compile=True,
        )
    theirs = None
    if with_keras:
        import keras

        # The seed programs use Keras 2's input_shape=; Keras 3 warns about it every time.
        warnings.filterwarnings("ignore", message="Do not pass an `input_shape`")

        theirs = spec["build"](keras)
        theirs.compile(loss="categorical_crossentropy", optimizer=sgd(keras), metrics=["accuracy"])

    batch = spec["batch"]
    fit_ratios, keras_ratios, predict_ratios, natural_ratios, jit_ratios = [], [], [], [], []
    for round_index in range(rounds + 1):  # round 0 warms up every contender
        t_hand = timed(lambda: hand_fit(hand, x, y, batch))
        t_natural = timed(lambda: natural_fit(natural, x, labels, batch))
        t_ours = timed(lambda: ours.fit(x, y, batch_size=batch, epochs=1, verbose=0))
        t_keras = (
            timed(lambda: theirs.fit(x_np, y_np, batch_size=batch, epochs=1, verbose=0))
            if theirs is not None else None
        )
        t_jit = (
            timed(lambda: compiled.fit(x, y, batch_size=batch, epochs=1, verbose=0))
            if compiled is not None else None
        )
        p_hand = timed(lambda: hand_predict(hand, x, batch))
        p_ours = timed(lambda: ours.predict(x, batch_size=batch, verbose=0))
        if round_index:
            fit_ratios.append(t_ours / t_hand)
            natural_ratios.append(t_ours / t_natural)
            predict_ratios.append(p_ours / p_hand)
            if t_keras is not None:
                keras_ratios.append(t_keras / t_hand)
            if t_jit is not None:
                jit_ratios.append(t_ours / t_jit)
    result = {
        "fit": statistics.median(fit_ratios),
        "natural": statistics.median(natural_ratios),
        "predict": statistics.median(predict_ratios),
    }
    if keras_ratios:
        result["keras_fit"] = statistics.median(keras_ratios)
    if jit_ratios:
        result["jit_speedup"] = statistics.median(jit_ratios)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--no-keras", action="store_true", help="skip Keras 3 even if installed")
    parser.add_argument(
        "--jit", action="store_true",
        help="also time fit with jit_compile=True (reported as eager time / compiled time)",
    )
    parser.add_argument(
        "--samples", type=int, default=None, help="samples per workload (default: its own)"
    )
    parser.add_argument(
        "--policy", default="float32",
        help="dtype policy of the torchseq and Keras models (mixed_float16, mixed_bfloat16); "
        "the torch loops stay float32, so the ratios show what mixed precision buys",
    )
    args = parser.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(1)
    torchseq.mixed_precision.set_global_policy(args.policy)
    try:
        import keras

        keras.mixed_precision.set_global_policy(args.policy)
        with_keras = not args.no_keras
    except ImportError:
        with_keras = False
    print(
        f"device={args.device} threads={torch.get_num_threads()} rounds={args.rounds} "
        f"policy={args.policy}"
    )
    print(
        "| workload | torchseq fit / hand loop | torchseq fit / natural loop "
        "| Keras 3 fit / hand loop | torchseq predict / hand |"
        + (" torchseq eager fit / jit_compile fit |" if args.jit else "")
    )
    print("|---|---|---|---|---|" + ("---|" if args.jit else ""))
    for name in args.workloads:
        result = run(name, args.rounds, args.device, with_keras, args.jit, args.samples)
        keras_cell = f"{result['keras_fit']:.2f}x" if "keras_fit" in result else "n/a"
        print(
            f"| {name} | {result['fit']:.2f}x | {result['natural']:.2f}x | {keras_cell} "
            f"| {result['predict']:.2f}x |"
            + (f" {result['jit_speedup']:.2f}x |" if "jit_speedup" in result else "")
        )


if __name__ == "__main__":
    main()
