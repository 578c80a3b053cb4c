"""BackupAndRestore: a new fit resumes weights, optimizer state and epoch from the backup."""

from __future__ import annotations

import json
import os

import pytest
import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import BackupAndRestore, CallbackList


def interrupted_fit(backup_dir, *, epochs_done, **kwargs):
    """Train ``epochs_done`` epochs, then fail in the next one as a crash would."""
    model = FakeModel(optimizer="sgd")
    callbacks = CallbackList([BackupAndRestore(backup_dir, **kwargs)], model=model)
    callbacks.on_train_begin()
    for epoch in range(epochs_done):
        callbacks.on_epoch_begin(epoch)
        model.train_one_step()
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        callbacks.on_train_end()  # as the trainer does before re-raising
    return model


def test_a_new_fit_resumes_where_the_last_backup_was(tmp_path):
    before = interrupted_fit(tmp_path / "backup", epochs_done=2)
    assert sorted(os.listdir(tmp_path / "backup")) == ["latest.pt", "training_metadata.json"]

    model = FakeModel(optimizer="sgd")
    model.fill(5.0)
    CallbackList([BackupAndRestore(tmp_path / "backup")], model=model).on_train_begin()
    assert model._initial_epoch == 2
    assert torch.equal(model.linear.weight, before.linear.weight)
    momentum = model.optimizer.state[model.linear.weight]["momentum_buffer"]
    assert torch.equal(momentum, before.optimizer.state[before.linear.weight]["momentum_buffer"])


def test_nothing_to_restore_on_a_first_fit(tmp_path):
    model = FakeModel()
    callback = BackupAndRestore(tmp_path / "backup")
    callback.set_model(model)
    callback.on_train_begin()
    assert not hasattr(model, "_initial_epoch")


def test_a_completed_fit_deletes_the_backup(tmp_path):
    model = FakeModel(optimizer="sgd")
    callbacks = CallbackList([BackupAndRestore(tmp_path / "backup")], model=model)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {})
    assert os.path.exists(tmp_path / "backup")
    callbacks.on_train_end()
    assert not os.path.exists(tmp_path / "backup")


def test_keep_the_backup_when_asked(tmp_path):
    model = FakeModel(optimizer="sgd")
    callbacks = CallbackList(
        [BackupAndRestore(tmp_path / "backup", delete_checkpoint=False)], model=model
    )
    callbacks.on_epoch_end(0, {})
    callbacks.on_train_end()
    assert os.path.exists(tmp_path / "backup" / "latest.pt")


def test_backup_every_few_batches(tmp_path):
    model = FakeModel(optimizer="sgd")
    callback = BackupAndRestore(tmp_path / "backup", save_freq=2)
    callbacks = CallbackList([callback], model=model)
    assert callbacks.needs_batch_hooks("train")
    for batch in range(3):
        callbacks.on_train_batch_end(batch, {})
    metadata = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert metadata == {"epoch": 0, "batch": 1}


def test_by_epoch_needs_no_batch_hooks(tmp_path):
    assert not CallbackList([BackupAndRestore(tmp_path)]).needs_batch_hooks("train")


def test_double_checkpoint_falls_back_on_the_previous_backup(tmp_path):
    interrupted_fit(tmp_path / "backup", epochs_done=2, double_checkpoint=True)
    assert os.path.exists(tmp_path / "backup" / "latest.pt.bkp")
    (tmp_path / "backup" / "latest.pt").write_bytes(b"damaged")
    model = FakeModel(optimizer="sgd")
    callback = BackupAndRestore(tmp_path / "backup", double_checkpoint=True)
    callback.set_model(model)
    callback.on_train_begin()
    assert model._initial_epoch == 1


def test_a_damaged_backup_without_a_previous_one_raises(tmp_path):
    interrupted_fit(tmp_path / "backup", epochs_done=1)
    (tmp_path / "backup" / "latest.pt").write_bytes(b"damaged")
    callback = BackupAndRestore(tmp_path / "backup")
    callback.set_model(FakeModel(optimizer="sgd"))
    with pytest.raises(ValueError, match="could not read the backup in .*Delete that folder"):
        callback.on_train_begin()


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
