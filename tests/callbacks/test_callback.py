"""Callback: the base hooks, Keras 2's batch aliases, and which hooks count as overridden."""

from __future__ import annotations

from unittest import mock

import pytest

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import Callback, LambdaCallback, ProgbarLogger
from torchseq.callbacks.callback import listens


class EpochOnly(Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


class Keras2Batch(Callback):
    def on_batch_end(self, batch, logs=None):
        self.seen = (batch, logs)


class TrainBatch(Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


def _progbar(verbose, steps):
    logger = ProgbarLogger()
    logger.set_params({"verbose": verbose, "epochs": 1, "steps": steps})
    return logger


# (callback factory, hook, listens?)
LISTENS = [
    (Callback, "on_epoch_end", False),
    (EpochOnly, "on_epoch_end", True),
    (EpochOnly, "on_train_batch_end", False),
    (TrainBatch, "on_train_batch_end", True),
    (TrainBatch, "on_train_batch_begin", False),
    (Keras2Batch, "on_train_batch_end", True),
    (Keras2Batch, "on_test_batch_end", False),
    (lambda: LambdaCallback(on_train_batch_begin=print), "on_train_batch_begin", True),
    (lambda: LambdaCallback(on_train_batch_begin=print), "on_train_batch_end", False),
    (lambda: mock.MagicMock(spec=Callback), "on_predict_batch_end", True),
    (lambda: _progbar(1, 10), "on_train_batch_end", True),
    (lambda: _progbar(2, 10), "on_train_batch_end", False),
    (lambda: _progbar(2, None), "on_train_batch_end", True),
    (lambda: _progbar(0, 10), "on_train_batch_end", False),
    (lambda: _progbar(2, 10), "on_epoch_end", True),
]


@pytest.mark.parametrize(("factory", "hook", "expected"), LISTENS)
def test_listens(factory, hook, expected):
    assert listens(factory(), hook) is expected


def test_a_mock_is_asked_nothing():
    callback = mock.MagicMock(spec=Callback)
    listens(callback, "on_train_batch_end")
    assert callback.mock_calls == []


def test_set_model_and_set_params():
    callback = Callback()
    assert callback.model is None and callback.params is None
    model = FakeModel()
    callback.set_model(model)
    callback.set_params({"epochs": 2})
    assert callback.model is model
    assert callback.params == {"epochs": 2}


def test_train_batch_hooks_forward_to_keras_2_names():
    callback = Keras2Batch()
    callback.on_train_batch_end(3, {"loss": 1.0})
    assert callback.seen == (3, {"loss": 1.0})


def test_every_hook_is_a_no_op():
    callback = Callback()
    for name in [name for name in dir(Callback) if name.startswith("on_")]:
        takes_an_index = "epoch" in name or "batch" in name
        args = (0, {}) if takes_an_index else ({},)
        assert getattr(callback, name)(*args) is None
