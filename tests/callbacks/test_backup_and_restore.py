"""BackupAndRestore: a new fit resumes weights, optimizer state and epoch from one backup file."""

from __future__ import annotations

import json
import os

import h5py
import numpy as np
import pytest

from tests.callbacks.fakes import FakeModel, tiny_data, tiny_model
from torchseq import optimizers, saving
from torchseq.callbacks import BackupAndRestore, Callback, CallbackList
from torchseq.callbacks import backup_and_restore as backup_module

LATEST = "latest.weights.h5"


def sgd_model():
    return tiny_model(optimizers.SGD(learning_rate=0.1, momentum=0.9))


def train_epochs(model, callbacks, epochs):
    """What fit does around each epoch, with one training step per epoch."""
    x, y = tiny_data()
    for epoch in epochs:
        callbacks.on_epoch_begin(epoch)
        model.train_on_batch(x, y)
        callbacks.on_epoch_end(epoch, {"loss": 1.0})


def interrupted_fit(backup_dir, *, epochs_done, **kwargs):
    """Train ``epochs_done`` epochs, then fail in the next one as a crash would."""
    model = sgd_model()
    callbacks = CallbackList(
        [BackupAndRestore(backup_dir, **kwargs)], model=model, epochs=epochs_done + 1
    )
    callbacks.on_train_begin()
    train_epochs(model, callbacks, range(epochs_done))
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        callbacks.on_train_end()  # as the trainer does before re-raising
    return model


def restore(backup_dir, model=None, **kwargs):
    model = sgd_model() if model is None else model
    callback = BackupAndRestore(backup_dir, **kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    return model


def counters(path):
    with h5py.File(path, "r") as root:
        return json.loads(root.attrs["training_metadata"])


def assert_same_state(model, expected):
    for ours, theirs in zip(model.get_weights(), expected.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    for ours, theirs in zip(
        model.optimizer.keras_variables(), expected.optimizer.keras_variables(), strict=True
    ):
        np.testing.assert_array_equal(ours, theirs)


def test_a_new_fit_resumes_where_the_last_backup_was(tmp_path):
    before = interrupted_fit(tmp_path / "backup", epochs_done=2)
    assert os.listdir(tmp_path / "backup") == [LATEST]
    assert counters(tmp_path / "backup" / LATEST) == {"epoch": 2, "batch": 0}

    model = restore(tmp_path / "backup")
    assert model._initial_epoch == 2
    assert_same_state(model, before)
    assert int(model.optimizer.iterations) == 2


def test_the_backup_is_a_keras_weights_file(tmp_path):
    before = interrupted_fit(tmp_path / "backup", epochs_done=1)
    model = sgd_model()
    saving.load_weights(model, tmp_path / "backup" / LATEST)
    assert_same_state(model, before)


def test_keras_reads_the_backup_with_its_optimizer_state(tmp_path):
    keras = pytest.importorskip("keras")
    before = interrupted_fit(tmp_path / "backup", epochs_done=2)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    model.optimizer.build(model.trainable_variables)
    model.load_weights(tmp_path / "backup" / LATEST)
    for ours, theirs in zip(before.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    keras_values = [keras.ops.convert_to_numpy(v) for v in model.optimizer.variables]
    for ours, theirs in zip(before.optimizer.keras_variables(), keras_values, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_nothing_to_restore_on_a_first_fit(tmp_path):
    model = restore(tmp_path / "backup")
    assert not hasattr(model, "_initial_epoch")


def test_a_completed_fit_deletes_the_backup(tmp_path):
    model = sgd_model()
    callbacks = CallbackList([BackupAndRestore(tmp_path / "backup")], model=model, epochs=1)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {})
    assert os.path.exists(tmp_path / "backup" / LATEST)
    callbacks.on_train_end()
    assert not os.path.exists(tmp_path / "backup")


def test_keep_the_backup_when_asked(tmp_path):
    model = sgd_model()
    callbacks = CallbackList(
        [BackupAndRestore(tmp_path / "backup", delete_checkpoint=False)], model=model
    )
    callbacks.on_epoch_end(0, {})
    callbacks.on_train_end()
    assert os.path.exists(tmp_path / "backup" / LATEST)


def test_backup_every_few_batches(tmp_path):
    model = sgd_model()
    callback = BackupAndRestore(tmp_path / "backup", save_freq=2)
    callbacks = CallbackList([callback], model=model)
    assert callbacks.needs_batch_hooks("train")
    for batch in range(3):
        callbacks.on_train_batch_end(batch, {})
    assert counters(tmp_path / "backup" / LATEST) == {"epoch": 0, "batch": 1}


def test_by_epoch_needs_no_batch_hooks(tmp_path):
    assert not CallbackList([BackupAndRestore(tmp_path)]).needs_batch_hooks("train")


def test_double_checkpoint_falls_back_on_the_previous_backup(tmp_path):
    backup = tmp_path / "backup"
    interrupted_fit(backup, epochs_done=2, double_checkpoint=True)
    assert sorted(os.listdir(backup)) == [LATEST, f"{LATEST}.bkp"]
    assert counters(backup / f"{LATEST}.bkp") == {"epoch": 1, "batch": 0}
    (backup / LATEST).write_bytes(b"damaged")
    model = restore(backup, double_checkpoint=True)
    assert model._initial_epoch == 1
    assert counters(backup / LATEST) == {"epoch": 1, "batch": 0}  # the good one, copied


def test_a_damaged_backup_without_a_previous_one_raises(tmp_path):
    interrupted_fit(tmp_path / "backup", epochs_done=1)
    (tmp_path / "backup" / LATEST).write_bytes(b"damaged")
    with pytest.raises(ValueError, match="could not read the backup in .*Delete that folder"):
        restore(tmp_path / "backup")


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (None, "has no 'training_metadata' attribute"),
        ("{not json", "is not JSON"),
        ('{"epoch": -1, "batch": 0}', "is not valid"),
        ('{"epoch": 1}', "is not valid"),
        ('{"epoch": true, "batch": 0}', "is not valid"),
    ],
    ids=["missing", "not_json", "negative", "incomplete", "bool"],
)
def test_bad_counters_are_refused_before_any_weight_is_touched(tmp_path, stored, message):
    interrupted_fit(tmp_path / "backup", epochs_done=1)
    with h5py.File(tmp_path / "backup" / LATEST, "a") as root:
        del root.attrs["training_metadata"]
        if stored is not None:
            root.attrs["training_metadata"] = stored
    model = sgd_model()
    weights = model.get_weights()
    optimizer_state = model.optimizer.keras_variables()
    with pytest.raises(ValueError, match=f"could not read the backup.*{message}"):
        restore(tmp_path / "backup", model)
    for ours, theirs in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(ours, theirs)
    for ours, theirs in zip(model.optimizer.keras_variables(), optimizer_state, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert not hasattr(model, "_initial_epoch")


@pytest.mark.parametrize("double_checkpoint", [False, True])
def test_a_backup_of_another_architecture_names_the_weight(tmp_path, double_checkpoint):
    interrupted_fit(tmp_path / "backup", epochs_done=2, double_checkpoint=double_checkpoint)
    import torchseq
    from torchseq import layers

    other = torchseq.Sequential([torchseq.Input((3,)), layers.Dense(5)])
    other.compile(optimizer="sgd", loss="mse")
    weights = other.get_weights()
    with pytest.raises(ValueError, match=r"kernel.*\(3, 5\).*\(3, 2\)") as raised:
        restore(tmp_path / "backup", other, double_checkpoint=double_checkpoint)
    assert "damaged" not in str(raised.value)
    for ours, theirs in zip(other.get_weights(), weights):
        np.testing.assert_array_equal(ours, theirs)
    assert not hasattr(other, "_initial_epoch")


@pytest.mark.parametrize("double_checkpoint", [False, True])
def test_a_kill_while_writing_leaves_the_previous_backup_whole(
    tmp_path, monkeypatch, double_checkpoint
):
    backup = tmp_path / "backup"
    model = sgd_model()
    callbacks = CallbackList(
        [BackupAndRestore(backup, double_checkpoint=double_checkpoint)], model=model
    )
    train_epochs(model, callbacks, [0])
    after_epoch_0 = sgd_model()
    after_epoch_0.set_weights(model.get_weights())
    after_epoch_0.optimizer.load_keras_variables(model.optimizer.keras_variables())

    write_weights = saving.weights_file.write_weights

    def killed_after_the_weights(root, model, **kwargs):
        write_weights(root, model, **kwargs)  # the weights are in, the counters not yet
        raise KeyboardInterrupt

    monkeypatch.setattr(saving.weights_file, "write_weights", killed_after_the_weights)
    with pytest.raises(KeyboardInterrupt):
        train_epochs(model, callbacks, [1])
    monkeypatch.undo()

    assert sorted(os.listdir(backup)) == [LATEST] + [f"{LATEST}.bkp"] * double_checkpoint
    resumed = restore(backup)
    assert resumed._initial_epoch == 1
    assert_same_state(resumed, after_epoch_0)


def test_a_kill_while_keeping_the_previous_backup_leaves_the_latest_whole(
    tmp_path, monkeypatch
):
    backup = tmp_path / "backup"
    model = sgd_model()
    callbacks = CallbackList([BackupAndRestore(backup, double_checkpoint=True)], model=model)
    train_epochs(model, callbacks, [0])

    def killed_midway(source, target):
        with open(target, "wb") as file:
            file.write(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(backup_module.shutil, "copyfile", killed_midway)
    with pytest.raises(KeyboardInterrupt):
        train_epochs(model, callbacks, [1])
    monkeypatch.undo()
    assert os.listdir(backup) == [LATEST]
    assert restore(backup, double_checkpoint=True)._initial_epoch == 1


class KillAfterEpoch(Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_a_resumed_fit_ends_where_an_uninterrupted_one_does(tmp_path):
    x, y = tiny_data(16)
    fit = {"batch_size": 4, "epochs": 4, "shuffle": False, "verbose": 0}
    uninterrupted = tiny_model("adam")
    start = uninterrupted.get_weights()
    uninterrupted.fit(x, y, **fit)

    interrupted = tiny_model("adam")
    interrupted.set_weights(start)
    backup = BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(x, y, callbacks=[backup, KillAfterEpoch(1)], **fit)
    assert counters(tmp_path / "backup" / LATEST) == {"epoch": 2, "batch": 0}

    resumed = tiny_model("adam")  # fresh weights and Adam moments: all come from the backup
    history = resumed.fit(x, y, callbacks=[BackupAndRestore(tmp_path / "backup")], **fit)
    assert history.epoch == [2, 3]
    assert int(resumed.optimizer.iterations) == int(uninterrupted.optimizer.iterations) == 16
    assert_same_state(resumed, uninterrupted)
    assert not os.path.exists(tmp_path / "backup")


def test_a_torch_optimizer_is_not_backed_up_and_says_so(tmp_path):
    import torch

    model = tiny_model(torch.optim.SGD)
    callbacks = CallbackList([BackupAndRestore(tmp_path / "backup")], model=model)
    with pytest.warns(UserWarning, match="SGD from torch.optim, whose state has no place"):
        callbacks.on_epoch_end(0, {})
    callbacks.on_epoch_end(1, {})  # warned once
    assert restore(tmp_path / "backup", tiny_model(torch.optim.SGD))._initial_epoch == 2


def test_an_unbuilt_model_is_refused(tmp_path):
    model = FakeModel()
    model.built = False
    callback = BackupAndRestore(tmp_path)
    callback.set_model(model)
    with pytest.raises(ValueError, match="must be built before fit"):
        callback.on_train_begin()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backup_dir": ""}, "backup_dir must be a folder path"),
        ({"backup_dir": "b", "save_freq": "batch"}, "save_freq must be 'epoch'"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BackupAndRestore(**kwargs)
