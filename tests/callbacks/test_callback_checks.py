"""Callback mistakes fail at on_train_begin, before the first step changes anything.

A monitor that names no logged quantity, a ModelCheckpoint template with an unknown
field or a path that is a folder, a CSVLogger path that is a folder; and BackupAndRestore
tells a finished run from an interrupted one without looking at the exception being
handled.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import torchseq
from tests.callbacks.fakes import tiny_data, tiny_model
from torchseq import layers, optimizers
from torchseq.callbacks import (
    BackupAndRestore,
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    ReduceLROnPlateau,
)
from torchseq.callbacks.monitor_callback import logged_names


def metric_model():
    model = torchseq.Sequential([torchseq.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


def fit_fails(model, callback, error, match, **kwargs):
    """``fit`` raises ``error`` and leaves weights, optimizer and history untouched."""
    x, y = tiny_data()
    weights = model.get_weights()
    with pytest.raises(error, match=match):
        model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback], **kwargs)
    for ours, theirs in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert int(model.optimizer.iterations) == 0
    assert not getattr(model.history, "epoch", [])


# ---------------------------------------------------------------------- monitor


@pytest.mark.parametrize(
    "make",
    [
        lambda: EarlyStopping(monitor="val_acc"),
        lambda: ReduceLROnPlateau(monitor="accuracy"),
        lambda: ModelCheckpoint("m.keras", monitor="nope", save_best_only=True),
    ],
    ids=["early_stopping", "reduce_lr", "checkpoint"],
)
def test_a_monitor_that_is_never_logged_fails_before_the_first_step(tmp_path, monkeypatch, make):
    monkeypatch.chdir(tmp_path)
    callback = make()
    message = (
        rf"{type(callback).__name__}: monitor='{callback.monitor}' names no quantity that fit "
        r"logs\. Model 'sequential' logs \['loss', 'mae'\], each also with the prefix 'val_'"
    )
    fit_fails(metric_model(), callback, ValueError, message)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("monitor", ["loss", "mae", "val_mae", "val_loss", "learning_rate"])
def test_logged_and_validation_names_are_accepted(monitor):
    x, y = tiny_data()
    model = metric_model()
    model.fit(
        x, y, epochs=1, verbose=0, validation_data=(x, y),
        callbacks=[
            ReduceLROnPlateau(monitor=monitor, mode="min"),  # logs learning_rate
            EarlyStopping(monitor=monitor, mode="min"),
        ],
    )  # fmt: skip
    assert model.history.epoch == [0]


def test_the_log_names_come_from_the_compiled_model():
    inputs = torchseq.Input((3,))
    outputs = [layers.Dense(2, name="a")(inputs), layers.Dense(1, name="b")(inputs)]
    model = torchseq.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss=["mse", "mse"], metrics=[["mae"], ["mse"]])
    x = np.ones((4, 3), "float32")
    assert logged_names(model) is None  # metrics are matched to outputs at the first batch
    names = []

    class Spy(torchseq.callbacks.Callback):
        def on_train_begin(self, logs=None):
            names.append(logged_names(self.model))

    model.fit(x, [np.ones((4, 2)), np.ones((4, 1))], epochs=1, verbose=0, callbacks=[Spy()])
    assert names == [["loss", "a_loss", "b_loss", "a_mae", "b_mse"]]


def test_a_custom_train_step_logs_what_it_returns_so_nothing_is_checked():
    class Custom(torchseq.Sequential):
        def train_step(self, data):
            return {"custom": 0.0}

    model = Custom([torchseq.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    assert logged_names(model) is None
    assert logged_names(object()) is None


# ---------------------------------------------------------------------- files


def test_an_unknown_template_field_fails_before_the_first_step(tmp_path):
    path = tmp_path / "w.{epoch:02d}-{nope}.keras"
    message = (
        r"ModelCheckpoint: the filepath template .*\{nope\}.* cannot be filled in "
        r"\(KeyError: 'nope'\); the available fields are \['epoch', 'loss', 'mae'\]"
    )
    fit_fails(metric_model(), ModelCheckpoint(path), ValueError, message)
    assert os.listdir(tmp_path) == []


def test_batch_is_a_field_only_when_saving_by_batches(tmp_path):
    template = str(tmp_path / "w.{epoch}-{batch}.keras")
    message = r"KeyError: 'batch'\); the available fields are \['epoch', 'loss', 'mae'\]"
    fit_fails(metric_model(), ModelCheckpoint(template), ValueError, message)
    x, y = tiny_data()
    by_batches = ModelCheckpoint(template, save_freq=2)
    metric_model().fit(x, y, epochs=1, batch_size=4, verbose=0, callbacks=[by_batches])
    assert os.listdir(tmp_path) == ["w.1-2.keras"]


def test_logged_and_validation_fields_fill_the_template(tmp_path):
    x, y = tiny_data()
    template = str(tmp_path / "w.{epoch}-{loss:.1f}-{val_mae:.1f}.weights.h5")
    model = metric_model()
    model.fit(
        x, y, epochs=1, verbose=0, validation_data=(x, y),
        callbacks=[ModelCheckpoint(template, save_weights_only=True)],
    )  # fmt: skip
    assert len(os.listdir(tmp_path)) == 1


def test_a_bad_format_spec_fails_before_the_first_step(tmp_path):
    path = tmp_path / "w.{loss:d}.keras"  # the loss is a float
    message = r"cannot be filled in \(ValueError"
    fit_fails(metric_model(), ModelCheckpoint(path), ValueError, message)


def test_a_checkpoint_path_that_is_a_folder_fails_before_the_first_step(tmp_path):
    folder = tmp_path / "taken.keras"
    folder.mkdir()
    message = f"ModelCheckpoint: .*received an existing directory: '{folder}'"
    fit_fails(metric_model(), ModelCheckpoint(folder), IsADirectoryError, message)
    assert os.listdir(folder) == []


def test_a_csv_path_that_is_a_folder_fails_before_the_first_step(tmp_path):
    message = f"CSVLogger: .*received an existing directory: '{tmp_path}'"
    fit_fails(metric_model(), CSVLogger(tmp_path), IsADirectoryError, message)
    assert os.listdir(tmp_path) == []


def test_temporary_folders_of_a_killed_save_are_removed_by_the_next_run(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".torchseq-tmp-{dead}-abc"
    stale.mkdir()
    (stale / "m.keras").write_bytes(b"half a file")
    x, y = tiny_data()
    model = metric_model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(tmp_path / "m.keras")])
    assert os.listdir(tmp_path) == ["m.keras"]


# ---------------------------------------------------------------------- BackupAndRestore


def test_a_fit_that_ends_normally_inside_an_except_block_deletes_its_backup(tmp_path):
    x, y = tiny_data()
    model = tiny_model()
    try:
        raise RuntimeError("handled by the user")
    except RuntimeError:
        model.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b")])
    assert not os.path.exists(tmp_path / "b")
    again = model.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b")])
    assert again.epoch == [0, 1]  # nothing was left to resume from


def test_a_fit_stopped_early_deletes_its_backup(tmp_path):
    x, y = tiny_data()
    model = tiny_model()
    stop = EarlyStopping(monitor="loss", min_delta=100.0, patience=1)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b"), stop])
    assert model.history.epoch == [0, 1]
    assert not os.path.exists(tmp_path / "b")


def test_a_failing_fit_keeps_its_backup_and_the_next_resumes(tmp_path):
    x, y = tiny_data()

    class Fail(torchseq.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("crash in epoch 1")

    model = tiny_model()
    with pytest.raises(RuntimeError, match="crash in epoch 1"):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b"), Fail()])
    assert os.listdir(tmp_path / "b") == ["latest.weights.h5"]
    resumed = model.fit(x, y, epochs=3, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b")])
    assert resumed.epoch == [1, 2]
    assert not os.path.exists(tmp_path / "b")


def test_a_backup_of_another_optimizer_is_refused_before_anything_is_loaded(tmp_path):
    x, y = tiny_data()

    class Fail(torchseq.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise RuntimeError("crash")

    sgd = tiny_model(optimizers.SGD(momentum=0.9))
    with pytest.raises(RuntimeError, match="crash"):
        sgd.fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b"), Fail()])
    adam = tiny_model(optimizers.Adam())
    message = (
        r"holds 4 optimizer variables, but the model's optimizer 'adam' \(Adam\) has 6: the "
        r"backup was written with another optimizer"
    )
    fit_fails(adam, BackupAndRestore(tmp_path / "b"), ValueError, message)
    assert os.listdir(tmp_path / "b") == ["latest.weights.h5"]
