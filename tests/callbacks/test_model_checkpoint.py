"""ModelCheckpoint: file names from templates, save_best_only, save_freq, atomic writes."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest
import torch

from tests.callbacks.fakes import FakeModel, SavingModel
from torchseq.callbacks import CallbackList, ModelCheckpoint


@dataclasses.dataclass
class Case:
    name: str
    kwargs: dict[str, Any]
    values: list[float]
    files: list[str]  # what the folder holds at the end, sorted

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("every_epoch", {}, [0.5, 0.6], ["w.01-0.50.pt", "w.02-0.60.pt"]),
    Case("best_only", {"save_best_only": True}, [0.5, 0.6, 0.4], ["w.01-0.50.pt", "w.03-0.40.pt"]),
    Case(
        "best_only_max",
        {"save_best_only": True, "mode": "max"},
        [0.5, 0.4, 0.6],
        ["w.01-0.50.pt", "w.03-0.60.pt"],
    ),
    Case(
        "initial_value_threshold",
        {"save_best_only": True, "initial_value_threshold": 0.45},
        [0.5, 0.44, 0.46],
        ["w.02-0.44.pt"],
    ),
]


def run(case, folder, *, template="w.{epoch:02d}-{val_loss:.2f}.pt", make_model=FakeModel):
    model = make_model()
    callback = ModelCheckpoint(os.path.join(folder, template), **case.kwargs)
    callbacks = CallbackList([callback], model=model)
    callbacks.on_train_begin()
    for epoch, value in enumerate(case.values):
        callbacks.on_epoch_begin(epoch)
        model.fill(float(epoch))
        callbacks.on_epoch_end(epoch, {"loss": 1.0, "val_loss": torch.tensor(value)})
    callbacks.on_train_end()
    return model


@pytest.mark.parametrize("case", CASES, ids=str)
def test_files_written(case, tmp_path):
    run(case, tmp_path)
    assert sorted(os.listdir(tmp_path)) == case.files
    for name in case.files:
        epoch = int(name[2:4]) - 1
        state = torch.load(tmp_path / name, weights_only=True)
        assert torch.equal(state["linear.weight"], torch.full((1, 2), float(epoch)))


def test_one_name_is_overwritten_by_each_better_model(tmp_path):
    case = Case("x", {"save_best_only": True}, [0.5, 0.6, 0.4, 0.45], [])
    run(case, tmp_path, template="best.pt")
    assert os.listdir(tmp_path) == ["best.pt"]
    state = torch.load(tmp_path / "best.pt", weights_only=True)
    assert torch.equal(state["linear.bias"], torch.tensor([2.0]))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_same_decisions_and_messages_as_keras(case, tmp_path, capsys):
    keras = pytest.importorskip("keras")
    ours, theirs = tmp_path / "ours", tmp_path / "keras"
    template = "w.{epoch:02d}-{val_loss:.2f}.keras"
    kwargs = {**case.kwargs, "verbose": 1}
    run(dataclasses.replace(case, kwargs=kwargs), ours, template=template, make_model=SavingModel)
    printed = capsys.readouterr().out

    model = SavingModel()
    callback = keras.callbacks.ModelCheckpoint(os.path.join(theirs, template), **kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(case.values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"loss": 1.0, "val_loss": float(torch.tensor(value))})
    assert sorted(os.listdir(ours)) == sorted(os.listdir(theirs))
    assert printed.replace(str(ours), "DIR") == capsys.readouterr().out.replace(str(theirs), "DIR")


def test_saving_every_few_batches_names_the_batch(tmp_path):
    model = FakeModel()
    callback = ModelCheckpoint(tmp_path / "b.{epoch}-{batch}.pt", save_freq=2)
    callbacks = CallbackList([callback], model=model)
    assert callbacks.needs_batch_hooks("train")
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for batch in range(3):
            callbacks.on_train_batch_end(batch, {"loss": torch.tensor(1.0)})
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    assert sorted(os.listdir(tmp_path)) == ["b.1-2.pt", "b.2-1.pt", "b.2-3.pt"]


def test_saving_by_epoch_needs_no_batch_hooks():
    assert not CallbackList([ModelCheckpoint("w.pt")]).needs_batch_hooks("train")


def test_the_whole_model_goes_through_model_save(tmp_path):
    model = run(Case("x", {}, [0.5], []), tmp_path, template="m.pt", make_model=SavingModel)
    (used,) = model.saved_to
    assert os.path.basename(used) == "m.pt" and os.path.dirname(used) != str(tmp_path)
    assert torch.load(tmp_path / "m.pt", weights_only=True)["whole_model"] is True


def test_weights_only_writes_the_state_dict_even_when_the_model_can_save(tmp_path):
    case = Case("x", {"save_weights_only": True}, [0.5], [])
    model = run(case, tmp_path, template="w.pt", make_model=SavingModel)
    assert model.saved_to == []
    assert "whole_model" not in torch.load(tmp_path / "w.pt", weights_only=True)


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_files(tmp_path):
    path = tmp_path / "w.pt"
    path.write_bytes(b"previous")
    model = FakeModel()
    model.state_dict = lambda: (_ for _ in ()).throw(RuntimeError("disk full"))
    callback = ModelCheckpoint(path, save_weights_only=True)
    callback.set_model(model)
    with pytest.raises(RuntimeError, match="disk full"):
        callback.on_epoch_end(0, {"val_loss": 0.5})
    assert os.listdir(tmp_path) == ["w.pt"] and path.read_bytes() == b"previous"


def test_parent_folders_are_created(tmp_path):
    run(Case("x", {}, [0.5], []), tmp_path, template="a/b/w.pt")
    assert os.path.exists(tmp_path / "a" / "b" / "w.pt")


def test_a_missing_monitor_with_best_only_warns_and_saves(tmp_path):
    callback = ModelCheckpoint(tmp_path / "w.pt", monitor="val_acc", save_best_only=True)
    callback.set_model(FakeModel())
    with pytest.warns(UserWarning, match="Can save best model only with val_acc available"):
        callback.on_epoch_end(0, {"loss": 0.5})
    assert os.listdir(tmp_path) == ["w.pt"]


@pytest.mark.parametrize(
    ("template", "error", "message"),
    [
        ("w.{val_acc:.2f}.pt", ValueError, r"names 'val_acc'.*\['epoch', 'loss'\]"),
        ("", IsADirectoryError, "non-directory filepath"),
    ],
    ids=["unknown_field", "directory"],
)
def test_bad_paths_at_save_time(tmp_path, template, error, message):
    callback = ModelCheckpoint(os.path.join(tmp_path, template))
    callback.set_model(FakeModel())
    with pytest.raises(error, match=message):
        callback.on_epoch_end(0, {"loss": 0.5})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"filepath": 3}, TypeError, "filepath must be a str or os.PathLike"),
        ({"filepath": "w.pt", "save_freq": "batch"}, ValueError, "save_freq must be 'epoch'"),
        ({"filepath": "w.pt", "save_freq": 0}, ValueError, "received: save_freq=0"),
        ({"filepath": "w.pt", "mode": "best"}, ValueError, "mode must be one of"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        ModelCheckpoint(**kwargs)
