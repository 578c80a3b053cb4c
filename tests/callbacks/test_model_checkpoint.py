"""ModelCheckpoint: file names from templates, save_best_only, save_freq, Keras's formats,
atomic writes."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np
import pytest
import torch

from tests.callbacks.fakes import SavingModel, read_saved, tiny_data, tiny_model
from torchseq import saving
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
    Case("every_epoch", {}, [0.5, 0.6], ["w.01-0.50.keras", "w.02-0.60.keras"]),
    Case(
        "best_only",
        {"save_best_only": True},
        [0.5, 0.6, 0.4],
        ["w.01-0.50.keras", "w.03-0.40.keras"],
    ),
    Case(
        "best_only_max",
        {"save_best_only": True, "mode": "max"},
        [0.5, 0.4, 0.6],
        ["w.01-0.50.keras", "w.03-0.60.keras"],
    ),
    Case(
        "initial_value_threshold",
        {"save_best_only": True, "initial_value_threshold": 0.45},
        [0.5, 0.44, 0.46],
        ["w.02-0.44.keras"],
    ),
]


def run(case, folder, *, template="w.{epoch:02d}-{val_loss:.2f}.keras", make_model=SavingModel):
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
        assert read_saved(tmp_path / name)["weights"][0] == [[float(epoch)] * 2]


def test_one_name_is_overwritten_by_each_better_model(tmp_path):
    case = Case("x", {"save_best_only": True}, [0.5, 0.6, 0.4, 0.45], [])
    run(case, tmp_path, template="best.keras")
    assert os.listdir(tmp_path) == ["best.keras"]
    assert read_saved(tmp_path / "best.keras")["weights"][1] == [2.0]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_same_decisions_and_messages_as_keras(case, tmp_path, capsys):
    keras = pytest.importorskip("keras")
    ours, theirs = tmp_path / "ours", tmp_path / "keras"
    template = "w.{epoch:02d}-{val_loss:.2f}.keras"
    kwargs = {**case.kwargs, "verbose": 1}
    run(dataclasses.replace(case, kwargs=kwargs), ours, template=template)
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
    model = SavingModel()
    callback = ModelCheckpoint(tmp_path / "b.{epoch}-{batch}.keras", save_freq=2)
    callbacks = CallbackList([callback], model=model)
    assert callbacks.needs_batch_hooks("train")
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for batch in range(3):
            callbacks.on_train_batch_end(batch, {"loss": torch.tensor(1.0)})
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    assert sorted(os.listdir(tmp_path)) == ["b.1-2.keras", "b.2-1.keras", "b.2-3.keras"]


def test_saving_by_epoch_needs_no_batch_hooks():
    assert not CallbackList([ModelCheckpoint("w.keras")]).needs_batch_hooks("train")


@pytest.mark.parametrize(
    ("weights_only", "name", "method"),
    [(False, "m.keras", "save"), (True, "m.weights.h5", "save_weights")],
    ids=["model", "weights_only"],
)
def test_the_models_own_method_writes_to_a_temporary_file(tmp_path, weights_only, name, method):
    case = Case("x", {"save_weights_only": weights_only}, [0.5], [])
    model = run(case, tmp_path, template=name)
    ((called, used),) = model.saved_to
    assert called == method
    assert os.path.basename(used) == name and os.path.dirname(used) != str(tmp_path)
    assert os.listdir(tmp_path) == [name] and read_saved(tmp_path / name)["method"] == method


def fit_with_checkpoint(folder, **kwargs):
    model = tiny_model()
    x, y = tiny_data()
    callback = ModelCheckpoint(folder, **kwargs)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[callback])
    return model, x


def test_a_saved_model_loads_back_and_predicts_the_same(tmp_path):
    model, x = fit_with_checkpoint(tmp_path / "m.{epoch}.keras")
    assert sorted(os.listdir(tmp_path)) == ["m.1.keras", "m.2.keras"]
    loaded = saving.load_model(tmp_path / "m.2.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 4


def test_saved_weights_load_back_and_predict_the_same(tmp_path):
    model, x = fit_with_checkpoint(tmp_path / "w.weights.h5", save_weights_only=True)
    assert os.listdir(tmp_path) == ["w.weights.h5"]
    fresh = tiny_model()
    saving.load_weights(fresh, tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_loads_the_saved_model(tmp_path):
    keras = pytest.importorskip("keras")
    model, x = fit_with_checkpoint(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(x)), expected, rtol=1e-5, atol=1e-6
    )  # two libraries: float32 rounding differs near zero


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_files(tmp_path):
    path = tmp_path / "w.weights.h5"
    path.write_bytes(b"previous")
    model = SavingModel()

    def killed_midway(filepath, overwrite=True):
        with open(filepath, "wb") as file:
            file.write(b"half a fi")
        raise KeyboardInterrupt

    model.save_weights = killed_midway
    callback = ModelCheckpoint(path, save_weights_only=True)
    callback.set_model(model)
    with pytest.raises(KeyboardInterrupt):
        callback.on_epoch_end(0, {"val_loss": 0.5})
    assert os.listdir(tmp_path) == ["w.weights.h5"] and path.read_bytes() == b"previous"


def test_parent_folders_are_created(tmp_path):
    run(Case("x", {}, [0.5], []), tmp_path, template="a/b/w.keras")
    assert os.path.exists(tmp_path / "a" / "b" / "w.keras")


def test_a_missing_monitor_with_best_only_warns_and_saves(tmp_path):
    callback = ModelCheckpoint(tmp_path / "w.keras", monitor="val_acc", save_best_only=True)
    callback.set_model(SavingModel())
    with pytest.warns(UserWarning, match="Can save best model only with val_acc available"):
        callback.on_epoch_end(0, {"loss": 0.5})
    assert os.listdir(tmp_path) == ["w.keras"]


@pytest.mark.parametrize(
    ("template", "error", "message"),
    [
        ("w.{val_acc:.2f}.keras", ValueError, r"names 'val_acc'.*\['epoch', 'loss'\]"),
        ("folder.keras", IsADirectoryError, "non-directory filepath"),
    ],
    ids=["unknown_field", "directory"],
)
def test_bad_paths_at_save_time(tmp_path, template, error, message):
    (tmp_path / "folder.keras").mkdir()
    callback = ModelCheckpoint(os.path.join(tmp_path, template))
    callback.set_model(SavingModel())
    with pytest.raises(error, match=message):
        callback.on_epoch_end(0, {"loss": 0.5})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"filepath": 3}, TypeError, "filepath must be a str or os.PathLike"),
        ({"filepath": "w.keras", "save_freq": "batch"}, ValueError, "save_freq must be 'epoch'"),
        ({"filepath": "w.keras", "save_freq": 0}, ValueError, "received: save_freq=0"),
        ({"filepath": "w.keras", "mode": "best"}, ValueError, "mode must be one of"),
        (
            {"filepath": "w.pt"},
            ValueError,
            r"save_weights_only=False, filepath must end in \.keras, received: filepath='w\.pt'",
        ),
        (
            {"filepath": "w.weights.h5"},
            ValueError,
            r"end in \.keras \(a \.weights\.h5 file is written with save_weights_only=True\)",
        ),
        ({"filepath": "m.h5"}, ValueError, r"end in \.keras \(Keras 2's \.h5 model format"),
        (
            {"filepath": "w.keras", "save_weights_only": True},
            ValueError,
            (
                r"save_weights_only=True, filepath must end in \.weights\.h5, received: "
                r"filepath='w\.keras'"
            ),
        ),
        (
            {"filepath": "w.h5", "save_weights_only": True},
            ValueError,
            r"must end in \.weights\.h5, received: filepath='w\.h5'",
        ),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        ModelCheckpoint(**kwargs)
