"""EarlyStopping: patience, min_delta, baseline, restore_best_weights, start_from_epoch.

Each case is a sequence of monitored values fed epoch by epoch as ``fit`` would (stopping
when ``model.stop_training`` is set); the expected stop and best epochs are pinned by hand
and the whole run (state after every epoch, printed lines, restored weights) is compared
with Keras's own callback fed the same values.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pytest
import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import CallbackList, EarlyStopping


@dataclasses.dataclass
class Case:
    name: str
    kwargs: dict[str, Any]
    values: list[float]
    stopped_epoch: int | None  # None: never stops
    best_epoch: int

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("patience_0", {}, [1.0, 0.9, 0.95, 0.8], stopped_epoch=2, best_epoch=1),
    Case("patience_2", {"patience": 2}, [1.0, 1.1, 1.2, 0.5], stopped_epoch=2, best_epoch=0),
    Case("patience_outlasted", {"patience": 2}, [1.0, 1.1, 0.9, 1.0, 0.8], None, best_epoch=4),
    Case("min_delta", {"min_delta": 0.1, "patience": 1}, [1.0, 0.95, 0.92], 1, best_epoch=0),
    Case("min_delta_met", {"min_delta": 0.1, "patience": 1}, [1.0, 0.85, 0.7], None, 2),
    Case("mode_max", {"mode": "max", "patience": 1}, [0.5, 0.7, 0.6, 0.8], 2, best_epoch=1),
    Case("baseline_beaten", {"baseline": 0.95, "patience": 1}, [0.9, 0.8, 0.7], None, 2),
    # Not beating the baseline keeps the wait growing; an improvement still returns early.
    Case("baseline_not_beaten", {"baseline": 0.5, "patience": 2}, [0.9, 0.95, 0.97], 1, 0),
    Case("baseline_improving", {"baseline": 0.5, "patience": 1}, [0.9, 0.8, 0.7], None, 2),
    Case(
        "restore_best_weights",
        {"restore_best_weights": True, "patience": 1, "verbose": 1},
        [0.9, 0.5, 0.7, 0.6],
        stopped_epoch=2,
        best_epoch=1,
    ),
    Case(
        "restore_best_weights_below_baseline",
        {"restore_best_weights": True, "baseline": 0.1, "patience": 2, "verbose": 1},
        [0.9, 0.5, 0.7, 0.6],
        stopped_epoch=2,
        best_epoch=1,
    ),
    Case("start_from_epoch", {"start_from_epoch": 2}, [1.0, 2.0, 3.0, 2.5, 2.6], 4, best_epoch=3),
    Case("never_at_epoch_0", {"patience": 0}, [1.0], stopped_epoch=None, best_epoch=0),
]


def run(callback_factory, case, capsys):
    """Feed the values; weights are filled with the epoch index so a restore shows which."""
    model = FakeModel()
    callback = callback_factory(monitor="val_loss", **case.kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    trace = []
    for epoch, value in enumerate(case.values):
        model.fill(float(epoch))
        callback.on_epoch_end(epoch, {"val_loss": torch.tensor(value, dtype=torch.float64)})
        trace.append((model.stop_training, callback.wait, callback.best))
        if model.stop_training:
            break
    callback.on_train_end()
    return {
        "trace": trace,
        "stopped_epoch": callback.stopped_epoch,
        "best_epoch": callback.best_epoch,
        "weights": float(model.get_weights()[0][0, 0]),
        "printed": capsys.readouterr().out,
    }


@pytest.mark.parametrize("case", CASES, ids=str)
def test_stops_and_restores_as_pinned(case, capsys):
    result = run(EarlyStopping, case, capsys)
    stopped = result["trace"][-1][0]
    assert (len(result["trace"]) - 1 if stopped else None) == case.stopped_epoch
    assert result["best_epoch"] == case.best_epoch
    restored = case.kwargs.get("restore_best_weights")
    last_epoch = len(result["trace"]) - 1
    assert result["weights"] == (case.best_epoch if restored else last_epoch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_epoch_matches_keras(case, capsys):
    keras = pytest.importorskip("keras")

    def keras_early_stopping(**kwargs):
        # Keras compares floats given by its CallbackList; give it the same numbers.
        callback = keras.callbacks.EarlyStopping(**kwargs)
        on_epoch_end = callback.on_epoch_end
        callback.on_epoch_end = lambda epoch, logs: on_epoch_end(
            epoch, {k: float(v) for k, v in logs.items()}
        )
        return callback

    assert run(EarlyStopping, case, capsys) == run(keras_early_stopping, case, capsys)


def test_a_missing_quantity_warns_and_never_stops():
    model = FakeModel()
    callback = EarlyStopping(monitor="val_accuracy", mode="max")
    callback.set_model(model)
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="`val_accuracy` which is not available.*: loss"):
        callback.on_epoch_end(0, {"loss": 1.0})
    assert model.stop_training is False


def test_auto_mode_knows_accuracy_goes_up():
    model = FakeModel()
    callback = EarlyStopping(monitor="val_accuracy")
    callbacks = CallbackList([callback], model=model)
    callbacks.on_train_begin()
    for epoch, value in enumerate([0.5, 0.6, 0.7]):
        callbacks.on_epoch_end(epoch, {"val_accuracy": value})
    assert model.stop_training is False and callback.best == 0.7


def test_reusable_across_fits():
    model = FakeModel()
    callback = EarlyStopping(monitor="loss")
    callback.set_model(model)
    callback.on_train_begin()
    callback.on_epoch_end(0, {"loss": 0.1})
    callback.on_train_begin()
    assert (callback.best, callback.wait, callback.stopped_epoch) == (None, 0, 0)


def test_reads_the_monitored_value_once_per_epoch_and_nothing_per_batch():
    callbacks = CallbackList([EarlyStopping()])
    assert callbacks.needs_batch_hooks("train") is False


def test_weights_are_copies():
    model = FakeModel()
    callback = EarlyStopping(monitor="loss", restore_best_weights=True, patience=5)
    callback.set_model(model)
    callback.on_train_begin()
    model.fill(1.0)
    callback.on_epoch_end(0, {"loss": 0.1})
    model.fill(2.0)
    np.testing.assert_array_equal(callback.best_weights[0], np.ones((1, 2), np.float32))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mode": "minimum"}, ValueError, r"mode must be one of \['auto', 'min', 'max'\]"),
        ({"monitor": 3}, TypeError, "monitor must be the name"),
        ({"patience": -1}, ValueError, "patience must be a non-negative integer"),
        ({"patience": 1.5}, TypeError, "patience must be a non-negative integer"),
        ({"start_from_epoch": -2}, ValueError, "start_from_epoch"),
        ({"min_delta": "0.1"}, TypeError, "min_delta must be a number"),
        ({"baseline": "low"}, TypeError, "baseline must be a number"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        EarlyStopping(**kwargs)


def test_auto_mode_refuses_an_unknown_quantity():
    model = FakeModel()
    callback = EarlyStopping(monitor="val_widgets")
    callback.set_model(model)
    with warnings.catch_warnings(), pytest.raises(ValueError, match="mode='max'"):
        callback.on_epoch_end(0, {"val_widgets": 1.0})
