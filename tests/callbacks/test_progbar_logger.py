"""ProgbarLogger: what fit, evaluate and predict print, pinned by golden files and by Keras.

Each scenario drives a CallbackList the way the trainer will, under a fake clock. Golden
files live in tests/callbacks/golden/; regenerate them on purpose with
``TORCHSEQ_REGEN_GOLDEN=1 pytest tests/callbacks/test_progbar_logger.py``.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pathlib
from collections.abc import Mapping

import pytest
import torch

from tests.utils.progbar_harness import (
    GOLDEN_ENV,
    FakeClock,
    keras_as_plain_lines,
    keras_progbar_in_plain_mode,
)
from torchseq.callbacks import CallbackList, ProgbarLogger

GOLDEN = pathlib.Path(__file__).parent / "golden"


@dataclasses.dataclass
class Scenario:
    name: str
    run: str  # "fit", "evaluate" or "predict"
    verbose: int | str = 1
    epochs: int = 2
    steps: int | None = 5
    known_steps: bool = True

    def __str__(self) -> str:
        return self.name


SCENARIOS = [
    Scenario("fit_verbose1", "fit"),
    Scenario("fit_verbose_auto_one_epoch", "fit", verbose="auto", epochs=1),
    Scenario("fit_verbose2", "fit", verbose=2),
    Scenario("fit_unknown_steps_verbose1", "fit", known_steps=False),
    Scenario("fit_unknown_steps_verbose2", "fit", verbose=2, known_steps=False),
    Scenario("evaluate_verbose1", "evaluate", epochs=1),
    Scenario("evaluate_verbose2", "evaluate", verbose=2, epochs=1),
    Scenario("predict_verbose1", "predict", epochs=1),
]


def _logs(step):
    return {"loss": torch.tensor(2.0 / step), "accuracy": torch.tensor(0.1 * step)}


def drive(callbacks, scenario, clock):
    """Make the calls the trainer makes; each step takes 30 ms, the first 200 ms."""

    def steps(begin, end, make_logs):
        for step in range(scenario.steps):
            begin(step)
            clock.advance(0.2 if step == 0 else 0.03)
            end(step, make_logs(step + 1))

    if scenario.run == "fit":
        callbacks.on_train_begin()
        for epoch in range(scenario.epochs):
            callbacks.on_epoch_begin(epoch)
            steps(callbacks.on_train_batch_begin, callbacks.on_train_batch_end, _logs)
            val = {"loss": torch.tensor(1.5), "accuracy": torch.tensor(0.25)}
            callbacks.on_test_begin()
            callbacks.on_test_batch_begin(0)
            callbacks.on_test_batch_end(0, val)
            callbacks.on_test_end(val)
            logs = {**_logs(scenario.steps), **{f"val_{k}": v for k, v in val.items()}}
            callbacks.on_epoch_end(epoch, logs)
        callbacks.on_train_end(logs)
    elif scenario.run == "evaluate":
        callbacks.on_test_begin()
        steps(callbacks.on_test_batch_begin, callbacks.on_test_batch_end, _logs)
        callbacks.on_test_end(_logs(scenario.steps))
    else:
        callbacks.on_predict_begin()
        steps(
            callbacks.on_predict_batch_begin,
            callbacks.on_predict_batch_end,
            lambda step: {"outputs": torch.zeros(2, 3)},
        )
        callbacks.on_predict_end()


def _params(scenario):
    steps = scenario.steps if scenario.known_steps else None
    return {"verbose": scenario.verbose, "epochs": scenario.epochs, "steps": steps}


def run_torchseq(scenario):
    clock = FakeClock()
    stream = io.StringIO()
    logger = ProgbarLogger(stream=stream, time_fn=clock)
    drive(CallbackList([logger], **_params(scenario)), scenario, clock)
    return stream.getvalue()


def run_keras(scenario, monkeypatch):
    keras = pytest.importorskip("keras")
    clock = FakeClock()
    with keras_progbar_in_plain_mode(monkeypatch, clock) as printed:
        logger = keras.callbacks.ProgbarLogger()
        drive(keras.callbacks.CallbackList([logger], **_params(scenario)), scenario, clock)
    return keras_as_plain_lines(printed.getvalue())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_output_matches_golden_file(scenario):
    text = run_torchseq(scenario)
    golden = GOLDEN / f"progbar_logger_{scenario.name}.txt"
    if os.environ.get(GOLDEN_ENV):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_output_says_what_keras_says(scenario, monkeypatch):
    assert run_torchseq(scenario) == run_keras(scenario, monkeypatch)


def test_validation_inside_fit_prints_nothing_of_its_own():
    fit = run_torchseq(Scenario("fit", "fit", epochs=1, steps=1))
    assert fit.count("\n") == 1 and "val_loss: 1.5000" in fit


def test_prints_to_stdout_by_default(capsys):
    logger = ProgbarLogger()
    callbacks = CallbackList([logger], verbose=2, epochs=2, steps=1)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_epoch_end(0, {"loss": 0.5})
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/2\n1/1 - ")
    assert out.endswith(" - loss: 0.5000\n")


class CountingLogs(Mapping):
    """Batch logs computed on first access, like the trainer's; counts the computations."""

    computed = 0

    def __init__(self, step):
        self.step, self._values = step, None

    def _get(self):
        if self._values is None:
            CountingLogs.computed += 1
            self._values = _logs(self.step)
        return self._values

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())


def test_batch_logs_are_computed_only_when_the_bar_redraws():
    clock = FakeClock()
    stream = io.StringIO()
    callbacks = CallbackList(
        [ProgbarLogger(stream=stream, time_fn=clock)], verbose=1, epochs=1, steps=20
    )
    CountingLogs.computed = 0
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for step in range(20):
        clock.advance(0.01)
        callbacks.on_train_batch_end(step, CountingLogs(step + 1))
    assert CountingLogs.computed == len(stream.getvalue().splitlines()) == 4
