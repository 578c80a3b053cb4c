"""CallbackList: the exact order of calls, skipped hooks, shared logs, default callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from unittest import mock
from unittest.mock import call

import pytest
import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import Callback, CallbackList, History, ProgbarLogger

PARAMS = {"verbose": 1, "epochs": 2, "steps": 2}


def simulate_fit(callbacks, *, epochs=2, steps=2, validation=True):
    """The calls ``fit`` makes, in Keras's order; logs carry device-like tensors."""
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            callbacks.on_train_batch_end(step, {"loss": torch.tensor(1.0)})
        epoch_logs = {"loss": torch.tensor(1.0)}
        if validation:
            callbacks.on_test_begin()
            callbacks.on_test_batch_begin(0)
            callbacks.on_test_batch_end(0, {"loss": torch.tensor(2.0)})
            callbacks.on_test_end({"loss": torch.tensor(2.0)})
            epoch_logs["val_loss"] = torch.tensor(2.0)
        callbacks.on_epoch_end(epoch, epoch_logs)
    callbacks.on_train_end({"loss": torch.tensor(1.0)})


def test_fit_calls_every_hook_in_keras_order():
    model = FakeModel()
    callback = mock.MagicMock(spec=Callback)
    callbacks = CallbackList([callback], model=model, **PARAMS)
    simulate_fit(callbacks, epochs=1)
    assert callback.mock_calls == [
        call.set_model(model),
        call.set_params(PARAMS),
        call.on_train_begin({}),
        call.on_epoch_begin(0, {}),
        call.on_train_batch_begin(0, {}),
        call.on_train_batch_end(0, {"loss": torch.tensor(1.0)}),
        call.on_train_batch_begin(1, {}),
        call.on_train_batch_end(1, {"loss": torch.tensor(1.0)}),
        call.on_test_begin({}),
        call.on_test_batch_begin(0, {}),
        call.on_test_batch_end(0, {"loss": torch.tensor(2.0)}),
        call.on_test_end({"loss": torch.tensor(2.0)}),
        call.on_epoch_end(0, {"loss": torch.tensor(1.0), "val_loss": torch.tensor(2.0)}),
        call.on_train_end({"loss": torch.tensor(1.0)}),
    ]


def test_evaluate_and_predict_call_their_hooks_in_order():
    callback = mock.MagicMock(spec=Callback)
    callbacks = CallbackList([callback])
    callbacks.on_test_begin()
    callbacks.on_test_batch_begin(0)
    callbacks.on_test_batch_end(0, {"loss": 1.0})
    callbacks.on_test_end({"loss": 1.0})
    callbacks.on_predict_begin()
    callbacks.on_predict_batch_begin(0)
    callbacks.on_predict_batch_end(0, {"outputs": 1.0})
    callbacks.on_predict_end()
    assert callback.mock_calls == [
        call.on_test_begin({}),
        call.on_test_batch_begin(0, {}),
        call.on_test_batch_end(0, {"loss": 1.0}),
        call.on_test_end({"loss": 1.0}),
        call.on_predict_begin({}),
        call.on_predict_batch_begin(0, {}),
        call.on_predict_batch_end(0, {"outputs": 1.0}),
        call.on_predict_end({}),
    ]


class Recorder(Callback):
    """Overrides every hook and appends ``(name, hook)`` to a shared journal."""

    def __init__(self, name, journal):
        super().__init__()
        self.name, self.journal = name, journal


def _recording_hook(hook):
    def record(self, *args):
        self.journal.append((self.name, hook))

    return record


for _hook in [name for name in dir(Callback) if name.startswith("on_")]:
    setattr(Recorder, _hook, _recording_hook(_hook))


def test_each_hook_reaches_the_callbacks_in_list_order():
    journal = []
    callbacks = CallbackList([Recorder("a", journal), Recorder("b", journal)])
    simulate_fit(callbacks, epochs=1, steps=1, validation=False)
    hooks = ["on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end"]
    hooks += ["on_epoch_end", "on_train_end"]
    assert journal == [(name, hook) for hook in hooks for name in "ab"]


class OnlyEpochEnd(Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.logs = logs


def test_batch_hooks_nobody_overrides_are_skipped(monkeypatch):
    callbacks = CallbackList([OnlyEpochEnd(), History()])
    for mode in ("train", "test", "predict"):
        assert callbacks.needs_batch_hooks(mode) is False
    spy = mock.Mock()
    monkeypatch.setattr(Callback, "on_train_batch_end", spy)
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    spy.assert_not_called()


def test_a_batch_hook_is_called_only_on_those_who_override_it():
    class Batch(Callback):
        def on_test_batch_end(self, batch, logs=None):
            self.batch = batch

    batch, epoch = Batch(), OnlyEpochEnd()
    callbacks = CallbackList([epoch, batch])
    assert callbacks.needs_batch_hooks("test") is True
    assert callbacks.needs_batch_hooks("train") is False
    assert callbacks.listens("on_test_batch_end") and not callbacks.listens("on_test_batch_begin")
    callbacks.on_test_batch_end(4, {})
    assert batch.batch == 4


def test_progbar_batch_hooks_are_off_at_verbose_2_and_for_validation_in_fit():
    callbacks = CallbackList(add_progbar=True, verbose=2, epochs=1, steps=3)
    assert callbacks.needs_batch_hooks("train") is False
    callbacks = CallbackList(add_progbar=True, verbose=1, epochs=1, steps=3)
    assert callbacks.needs_batch_hooks("test") is True
    callbacks.on_train_begin()
    assert callbacks.needs_batch_hooks("train") is True
    assert callbacks.needs_batch_hooks("test") is False


def test_all_callbacks_share_one_logs_dict_per_call():
    class AddsKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["learning_rate"] = 0.5

    reader = OnlyEpochEnd()
    callbacks = CallbackList([AddsKey(), reader])
    original = {"loss": 1.0}
    callbacks.on_epoch_end(0, original)
    assert reader.logs == {"loss": 1.0, "learning_rate": 0.5}
    assert original == {"loss": 1.0}, "the caller's dict is not changed"


def test_logs_are_sorted_and_flattened_but_values_not_read():
    reader = OnlyEpochEnd()
    loss = torch.tensor(0.5)
    CallbackList([reader]).on_epoch_end(0, {"val_loss": 1.0, "loss": loss, "out": {"acc": 1}})
    assert list(reader.logs) == ["loss", "acc", "val_loss"]
    assert reader.logs["loss"] is loss


def test_a_batch_mapping_that_is_not_a_dict_is_passed_untouched():
    class LazyLogs(Mapping):
        def __getitem__(self, key):
            raise AssertionError("CallbackList must not read values")

        def __iter__(self):
            return iter(["loss"])

        def __len__(self):
            return 1

    class Batch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.logs = logs

    batch = Batch()
    lazy = LazyLogs()
    CallbackList([batch]).on_train_batch_end(0, lazy)
    assert batch.logs is lazy


def test_default_history_and_progbar_are_added_once():
    own_history = History()
    callbacks = CallbackList([own_history], add_history=True, add_progbar=True)
    assert [type(c) for c in callbacks.callbacks] == [History, ProgbarLogger]
    assert callbacks.history is own_history
    callbacks = CallbackList(add_history=True, add_progbar=True)
    assert [type(c) for c in callbacks.callbacks] == [History, ProgbarLogger]


def test_model_history_and_params_reach_every_callback():
    model = FakeModel()
    reader = OnlyEpochEnd()
    callbacks = CallbackList([[reader]], add_history=True, model=model, **PARAMS)
    assert model.history is callbacks.history
    assert reader.model is model and reader.params == PARAMS
    late = OnlyEpochEnd()
    callbacks.append(late)
    assert late.model is model and late.params == PARAMS


def test_the_history_records_the_fit():
    model = FakeModel()
    callbacks = CallbackList(add_history=True, model=model, **PARAMS)
    simulate_fit(callbacks)
    assert model.history.history == {"loss": [1.0, 1.0], "val_loss": [2.0, 2.0]}
    assert model.history.epoch == [0, 1]


@pytest.mark.parametrize(
    ("call_", "error", "message"),
    [
        (lambda: CallbackList(["early"]), TypeError, r"callbacks\[0\] must be a .*Callback"),
        (lambda: CallbackList().append(3), TypeError, "callback must be a"),
        (lambda: CallbackList().needs_batch_hooks("fit"), ValueError, "mode must be one of"),
        (lambda: CallbackList().listens("on_step"), ValueError, "hook must be one of"),
        (
            lambda: CallbackList([Recorder("a", [])]).on_train_batch_end(0, [1]),
            TypeError,
            "Mapping",
        ),
    ],
    ids=["not_a_callback", "append", "mode", "hook", "logs"],
)
def test_bad_input(call_, error, message):
    with pytest.raises(error, match=message):
        call_()
