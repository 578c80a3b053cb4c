"""ReduceLROnPlateau: patience, cooldown, min_lr, min_delta, against Keras epoch by epoch."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import CallbackList, History, ReduceLROnPlateau


@dataclasses.dataclass
class Case:
    name: str
    kwargs: dict[str, Any]
    values: list[float]
    rates: list[float]  # the learning rate after each epoch

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("patience_1", {"patience": 1}, [1.0, 1.0, 1.0], [0.1, 0.01, 0.001]),
    Case("patience_2", {"patience": 2}, [1.0, 1.0, 1.0, 0.5, 0.6], [0.1, 0.1, 0.01, 0.01, 0.01]),
    # As in Keras, the cooldown counter is decremented before it is tested: cooldown=2
    # holds the rate for one epoch after a reduction.
    Case(
        "cooldown",
        {"patience": 1, "cooldown": 2},
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        [0.1, 0.01, 0.01, 0.001, 0.001, 0.0001],
    ),
    Case(
        "min_lr",
        {"patience": 1, "factor": 0.5, "min_lr": 0.03},
        [1, 1, 1, 1],
        [0.1, 0.05, 0.03, 0.03],
    ),
    Case("min_delta", {"patience": 1, "min_delta": 0.1}, [1.0, 0.95, 0.8], [0.1, 0.01, 0.01]),
    Case("mode_max", {"patience": 1, "mode": "max"}, [0.5, 0.6, 0.55], [0.1, 0.1, 0.01]),
]


def run(factory, case, capsys, optimizer="fake"):
    model = FakeModel(optimizer=optimizer, learning_rate=0.1)
    callback = factory(monitor="val_loss", verbose=1, **case.kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    rates, logged = [], []
    for epoch, value in enumerate(case.values):
        logs = {"val_loss": value}
        callback.on_epoch_end(epoch, logs)
        rates.append(_rate(model.optimizer))
        logged.append(logs["learning_rate"])
    return rates, logged, capsys.readouterr().out


def _rate(optimizer):
    if hasattr(optimizer, "learning_rate"):
        return optimizer.learning_rate
    return optimizer.param_groups[0]["lr"]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_rates_as_pinned(case, capsys):
    rates, logged, _ = run(ReduceLROnPlateau, case, capsys)
    assert rates == pytest.approx(case.rates)
    # The logs carry the rate in force during the epoch.
    assert logged == pytest.approx([0.1, *case.rates[:-1]])


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_epoch_matches_keras(case, capsys):
    keras = pytest.importorskip("keras")
    assert run(ReduceLROnPlateau, case, capsys) == run(
        keras.callbacks.ReduceLROnPlateau, case, capsys
    )


@pytest.mark.parametrize("case", CASES[:3], ids=str)
def test_a_plain_torch_optimizer_has_its_lr_changed(case, capsys):
    rates, _, _ = run(ReduceLROnPlateau, case, capsys, optimizer="sgd")
    assert rates == pytest.approx(case.rates)


def test_history_records_the_learning_rate():
    model = FakeModel(learning_rate=0.1)
    callbacks = CallbackList([ReduceLROnPlateau(patience=0)], add_history=True, model=model)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_end(epoch, {"val_loss": torch.tensor(1.0)})
    assert isinstance(model.history, History)
    assert model.history.history["learning_rate"] == pytest.approx([0.1, 0.1])
    assert model.optimizer.learning_rate == pytest.approx(0.01)


def test_a_missing_quantity_warns():
    callback = ReduceLROnPlateau()
    callback.set_model(FakeModel())
    callback.on_train_begin()
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric"):
        callback.on_epoch_end(0, {"loss": 1.0})


def test_keras_2_epsilon_is_min_delta():
    with pytest.warns(DeprecationWarning, match="use `min_delta`"):
        callback = ReduceLROnPlateau(epsilon=0.5)
    assert callback.min_delta == 0.5


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"factor": 1.0}, ValueError, "factor >= 1.0. Received factor=1.0"),
        ({"lr": 0.1}, TypeError, r"unexpected keyword arguments \['lr'\]"),
        ({"mode": "down"}, ValueError, "mode must be one of"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        ReduceLROnPlateau(**kwargs)


def test_an_uncompiled_model_is_named_in_the_error():
    model = FakeModel()
    model.optimizer = None
    callback = ReduceLROnPlateau()
    callback.set_model(model)
    with pytest.raises(ValueError, match="compile the model before fit"):
        callback.on_epoch_end(0, {"val_loss": 1.0})
