"""History: one list per logged name, floats read from the device, keys sorted."""

from __future__ import annotations

import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import History


def test_records_each_epoch_as_floats_with_sorted_keys():
    model = FakeModel()
    history = History()
    history.set_model(model)
    history.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    history.on_train_begin()
    history.on_epoch_end(0, {"val_loss": torch.tensor(0.5), "loss": torch.tensor(0.25)})
    history.on_epoch_end(1, {"val_loss": 0.25, "loss": 0.125, "learning_rate": 0.01})
    assert history.history == {
        "learning_rate": [0.01],
        "loss": [0.25, 0.125],
        "val_loss": [0.5, 0.25],
    }
    assert list(history.history) == ["learning_rate", "loss", "val_loss"]
    assert all(type(v) is float for values in history.history.values() for v in values)
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 1, "epochs": 2, "steps": 3}
    assert model.history is history


def test_a_reference_to_the_dict_stays_current_when_keys_are_added():
    history = History()
    history.on_train_begin()
    records = history.history
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 1.0, "accuracy": 0.5})
    assert records is history.history
    assert list(records) == ["accuracy", "loss"]


def test_a_new_fit_restarts_the_epochs_but_keeps_the_values_as_keras():
    history = History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 0.5})
    assert history.epoch == [0]
    assert history.history == {"loss": [1.0, 0.5]}
