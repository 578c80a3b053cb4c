"""TerminateOnNaN: stop at the batch whose loss is NaN or infinite, and say which."""

from __future__ import annotations

import math

import pytest
import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import CallbackList, TerminateOnNaN


def run_batches(losses, callback):
    model = FakeModel()
    callbacks = CallbackList([callback], model=model)
    for batch, loss in enumerate(losses):
        callbacks.on_train_batch_end(batch, {"loss": loss})
        if model.stop_training:
            return batch
    return None


@pytest.mark.parametrize(
    ("losses", "stopped_at"),
    [
        ([torch.tensor(1.0), torch.tensor(0.5)], None),
        ([torch.tensor(1.0), torch.tensor(float("nan")), torch.tensor(1.0)], 1),
        ([1.0, 2.0, math.inf], 2),
        ([torch.tensor(-float("inf"))], 0),
    ],
    ids=["finite", "nan", "inf", "minus_inf"],
)
def test_stops_at_the_first_bad_batch(losses, stopped_at, capsys):
    assert run_batches(losses, TerminateOnNaN()) == stopped_at
    expected = (
        "" if stopped_at is None else f"Batch {stopped_at}: Invalid loss, terminating training\n"
    )
    assert capsys.readouterr().out == expected


def test_raise_error():
    with pytest.raises(
        RuntimeError, match="NaN or Inf loss encountered at batch 1. Loss value: nan"
    ):
        run_batches([0.5, float("nan")], TerminateOnNaN(raise_error=True))


def test_logs_without_loss_are_ignored():
    assert run_batches([None], TerminateOnNaN()) is None


def test_same_message_as_keras(capsys):
    keras = pytest.importorskip("keras")
    model = FakeModel()
    callback = keras.callbacks.TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(3, {"loss": float("nan")})
    keras_message = capsys.readouterr().out
    run_batches([0.0, 0.0, 0.0, float("nan")], TerminateOnNaN())
    assert capsys.readouterr().out == keras_message
