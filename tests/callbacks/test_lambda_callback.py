"""LambdaCallback: functions as hooks; the hooks not given are never called."""

from __future__ import annotations

import pytest

from torchseq.callbacks import CallbackList, LambdaCallback


def test_given_functions_are_called_with_the_hook_arguments():
    calls = []
    callback = LambdaCallback(
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, logs)),
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_train_batch_end=lambda batch, logs: calls.append(("batch_end", batch, logs)),
        on_test_end=lambda logs: calls.append(("test_end", logs)),
    )
    callbacks = CallbackList([callback])
    callbacks.on_train_begin()
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    callbacks.on_test_end({"loss": 2.0})
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert calls == [
        ("train_begin", {}),
        ("batch_end", 0, {"loss": 1.0}),
        ("test_end", {"loss": 2.0}),
        ("epoch_end", 0, {"loss": 1.0}),
    ]


def test_hooks_not_given_are_skipped():
    callbacks = CallbackList([LambdaCallback(on_epoch_end=print)])
    assert not callbacks.needs_batch_hooks("train")
    assert not callbacks.listens("on_train_begin")


def test_keras_2_batch_alias():
    seen = []
    callbacks = CallbackList([LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))])
    assert callbacks.needs_batch_hooks("train")
    callbacks.on_train_batch_end(7, {})
    assert seen == [7]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"on_epoch_ends": print}, ValueError, r"\['on_epoch_ends'\] name no callback hook"),
        ({"on_epoch_end": "print"}, TypeError, "on_epoch_end must be callable"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        LambdaCallback(**kwargs)
