"""LearningRateScheduler: the schedule sets the rate at each epoch start, as in Keras."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import CallbackList, LearningRateScheduler


def halve_after_one(epoch, lr):
    return lr if epoch < 1 else lr * 0.5


def by_epoch_only(epoch):  # Keras 2's one-argument form
    return 0.1 / (epoch + 1)


def exponential(epoch, lr):
    return float(lr * math.exp(-0.1))


SCHEDULES = [
    (halve_after_one, [0.1, 0.05, 0.025]),
    (by_epoch_only, [0.1, 0.05, 0.1 / 3]),
    (exponential, [0.1 * math.exp(-0.1 * k) for k in (1, 2, 3)]),
    (lambda epoch, lr: np.float32(0.5), [0.5, 0.5, 0.5]),
    (lambda epoch, lr: torch.tensor(0.25), [0.25, 0.25, 0.25]),
]


def run(factory, schedule, capsys, optimizer="fake"):
    model = FakeModel(optimizer=optimizer, learning_rate=0.1)
    callback = factory(schedule, verbose=1)
    callback.set_model(model)
    rates = []
    for epoch in range(3):
        callback.on_epoch_begin(epoch)
        logs = {"loss": 1.0}
        callback.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    return rates, capsys.readouterr().out


@pytest.mark.parametrize(("schedule", "rates"), SCHEDULES)
def test_rates(schedule, rates, capsys):
    assert run(LearningRateScheduler, schedule, capsys)[0] == pytest.approx(rates)


@pytest.mark.parametrize(("schedule", "rates"), SCHEDULES[:3])
def test_same_rates_and_messages_as_keras(schedule, rates, capsys):
    keras = pytest.importorskip("keras")
    ours = run(LearningRateScheduler, schedule, capsys)
    assert ours == run(keras.callbacks.LearningRateScheduler, schedule, capsys)
    assert "\nEpoch 2: LearningRateScheduler setting learning rate to " in ours[1]


def test_a_plain_torch_optimizer(capsys):
    rates, _ = run(LearningRateScheduler, halve_after_one, capsys, optimizer="sgd")
    assert rates == pytest.approx([0.1, 0.05, 0.025])


def test_no_batch_hooks():
    assert not CallbackList([LearningRateScheduler(by_epoch_only)]).needs_batch_hooks("train")


def test_a_schedule_returning_no_number():
    callback = LearningRateScheduler(lambda epoch, lr: "fast")
    callback.set_model(FakeModel())
    with pytest.raises(TypeError, match="must return a number.*received: 'fast'"):
        callback.on_epoch_begin(0)


def test_schedule_must_be_callable():
    with pytest.raises(TypeError, match="schedule must be a function"):
        LearningRateScheduler(0.1)
