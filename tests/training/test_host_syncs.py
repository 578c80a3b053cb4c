"""fit's steps never read a tensor back to the host: on a GPU every such read waits for
the device, so one per step would stall the pipeline (issue 10: "no per-step sync").

Every tensor-to-host read (``item``, ``tolist``, ``bool(tensor)``...) raises from the
second step of training on, through each epoch's batches: the steps, the metrics and the
epoch loop between them. The first step (which builds the optimizer and checks the
targets once) and the epoch ends (which log) may read.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch

import torchseq as keras
from tests.metrics import no_host_sync

_SAMPLES, _BATCH = 48, 16


@contextlib.contextmanager
def _no_cuda_sync():
    """On a GPU, torch itself raises at any operation that waits for the device."""
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


class _NoHostReads(keras.callbacks.Callback):
    """Refuses host reads through each epoch's batches, from the second step of training
    on (the epoch ends, which log, may read)."""

    def __init__(self, refuse=no_host_sync) -> None:
        super().__init__()
        self._refuse = refuse
        self._guard = None
        self._steps = 0
        self.guarded_steps = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._steps_in_epoch = self.params["steps"]

    def on_train_batch_begin(self, batch, logs=None):
        if self._steps > 0 and self._guard is None:
            self._guard = self._refuse()
            self._guard.__enter__()

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1
        if self._guard is not None:
            self.guarded_steps += 1
            if batch == self._steps_in_epoch - 1:
                self._close()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self._guard is not None:
            self._guard.__exit__(None, None, None)
            self._guard = None


def _mlp():
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    rng = np.random.default_rng(0)
    x = rng.random((_SAMPLES, 8), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 4, _SAMPLES), 4)
    return model, keras.optimizers.Adam(schedule), "categorical_crossentropy", ["accuracy"], x, y


def _convnet():
    model = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            keras.layers.Conv2D(4, 3),
            keras.layers.BatchNormalization(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3),
        ]
    )
    rng = np.random.default_rng(0)
    x = rng.random((_SAMPLES, 6, 6, 1), dtype=np.float32)
    y = rng.integers(0, 3, _SAMPLES)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return model, "sgd", loss, ["sparse_categorical_accuracy"], x, y


def _lstm():
    model = keras.Sequential(
        [keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(1, activation="sigmoid")]
    )
    rng = np.random.default_rng(0)
    x = rng.random((_SAMPLES, 5, 3), dtype=np.float32)
    y = rng.integers(0, 2, (_SAMPLES, 1)).astype("float32")
    return model, "rmsprop", "binary_crossentropy", ["accuracy", "auc"], x, y


def _compiled(make, options, device=None):
    """The model ``make`` builds (under the ``"policy"`` in ``options``, if any), on
    ``device``, compiled with the other ``options``; and its data."""
    options = dict(options)
    keras.mixed_precision.set_global_policy(options.pop("policy", "float32"))
    try:
        model, optimizer, loss, metrics, x, y = make()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    if device is not None:
        model.to(device)
    model.compile(optimizer, loss, metrics=metrics, **options)
    return model, x, y


@pytest.mark.parametrize(
    ("make", "options"),
    [
        (_mlp, {}),
        (_convnet, {}),
        (_lstm, {}),
        (_mlp, {"jit_compile": True}),
        (_convnet, {"policy": "mixed_bfloat16"}),
    ],
    ids=["mlp", "convnet", "lstm", "mlp-jit", "convnet-bfloat16"],
)
def test_training_steps_read_nothing_back_to_the_host(make, options):
    model, x, y = _compiled(make, options)
    guard = _NoHostReads()
    history = model.fit(x, y, batch_size=_BATCH, epochs=2, verbose=0, callbacks=[guard])
    assert guard.guarded_steps == 2 * _SAMPLES // _BATCH - 1
    assert all(np.isfinite(values).all() for values in history.history.values())


class _NoHostReadsBetweenBatches(keras.callbacks.Callback):
    """Refuses host reads from the second evaluate/predict batch to the last one's end."""

    def __init__(self, batches: int) -> None:
        super().__init__()
        self._last = batches - 1
        self._guard = None
        self.guarded = 0

    def _begin(self, batch):
        if batch == 1:
            self._guard = no_host_sync()
            self._guard.__enter__()

    def _end(self, batch):
        if self._guard is not None:
            self.guarded += 1
            if batch == self._last:
                self._guard.__exit__(None, None, None)
                self._guard = None

    def on_test_batch_begin(self, batch, logs=None):
        self._begin(batch)

    def on_test_batch_end(self, batch, logs=None):
        self._end(batch)

    def on_predict_batch_begin(self, batch, logs=None):
        self._begin(batch)

    def on_predict_batch_end(self, batch, logs=None):
        self._end(batch)


def test_evaluate_and_predict_batches_read_nothing_back_to_the_host():
    model, optimizer, loss, metrics, x, y = _lstm()
    model.compile(optimizer, loss, metrics=metrics)
    batches = _SAMPLES // _BATCH
    guard = _NoHostReadsBetweenBatches(batches)
    results = model.evaluate(x, y, batch_size=_BATCH, verbose=0, callbacks=[guard])
    assert len(results) == 3 and guard.guarded == batches - 1
    guard = _NoHostReadsBetweenBatches(batches)
    assert model.predict(x, batch_size=_BATCH, verbose=0, callbacks=[guard]).shape == (_SAMPLES, 1)
    assert guard.guarded == batches - 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(
    ("make", "options"),
    [
        (_mlp, {}),
        (_lstm, {}),
        (_mlp, {"jit_compile": True}),
        (_convnet, {"policy": "mixed_bfloat16"}),
    ],
    ids=["mlp", "lstm", "mlp-jit", "convnet-bfloat16"],
)
def test_training_steps_on_cuda_never_wait_for_the_device(make, options):
    model, x, y = _compiled(make, options, device="cuda")
    guard = _NoHostReads(_no_cuda_sync)
    model.fit(x, y, batch_size=_BATCH, epochs=2, verbose=0, callbacks=[guard])
    assert guard.guarded_steps == 2 * _SAMPLES // _BATCH - 1
