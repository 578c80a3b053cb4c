"""Tests for torchseq.optimizers (the package): get, serialize and deserialize."""

from __future__ import annotations

import pytest
import torch

from torchseq import optimizers

# Every Keras name torchseq resolves, with its class.
NAMES = {
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamw": "AdamW",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "lion": "Lion",
    "ftrl": "Ftrl",
    "adafactor": "Adafactor",
    "muon": "Muon",
    "schedulefreeadamw": "ScheduleFreeAdamW",
}
# Resolved by torchseq although Keras 3.15's get() does not know it (its table misses Lamb).
EXTRA_NAMES = {"lamb": "Lamb"}


@pytest.mark.parametrize(("name", "class_name"), NAMES.items())
def test_get_by_name_gives_keras_defaults(keras, name, class_name):
    ours = optimizers.get(name)
    assert type(ours).__name__ == class_name and not ours.built
    theirs = keras.optimizers.get(name).get_config()
    config = ours.get_config()
    for key in set(theirs) - {"name", "learning_rate"}:
        assert config[key] == theirs[key], key


def test_keras_table_is_the_expected_one(keras):
    from keras.src.optimizers import ALL_OBJECTS_DICT

    keras_only = {"optimizer", "multioptimizer", "optimizermap", "lossscaleoptimizer"}
    assert set(ALL_OBJECTS_DICT) - keras_only == set(NAMES)


@pytest.mark.parametrize(("name", "class_name"), EXTRA_NAMES.items())
def test_get_resolves_lamb(keras, name, class_name):
    assert type(optimizers.get(name)).__name__ == class_name
    assert type(optimizers.get(class_name)).__name__ == class_name
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        keras.optimizers.get(name)


@pytest.mark.parametrize("name", ["Adam", "ADAM", "RMSprop", "AdamW", "ScheduleFreeAdamW"])
def test_get_ignores_case_of_builtin_names(name):
    assert type(optimizers.get(name)).__name__.lower() == name.lower()


def test_get_passes_through_none_instances_and_torch_classes():
    assert optimizers.get(None) is None
    ours = optimizers.SGD()
    assert optimizers.get(ours) is ours
    native = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    assert optimizers.get(native) is native
    assert optimizers.get(torch.optim.AdamW) is torch.optim.AdamW  # the trainer instantiates it


def test_get_instantiates_torchseq_classes():
    optimizer = optimizers.get(optimizers.Nadam)
    assert isinstance(optimizer, optimizers.Nadam) and not optimizer.built


def test_get_from_config_dict():
    optimizer = optimizers.get(
        {"class_name": "Adam", "config": {"learning_rate": 0.05, "amsgrad": True}}
    )
    assert isinstance(optimizer, optimizers.Adam)
    assert optimizer.learning_rate == 0.05 and optimizer.amsgrad


def test_serialize_round_trip_matches_keras_layout(keras):
    optimizer = optimizers.SGD(
        learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.9), momentum=0.9
    )
    config = optimizers.serialize(optimizer)
    theirs = keras.optimizers.serialize(
        keras.optimizers.SGD(
            learning_rate=keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9), momentum=0.9
        )
    )
    # Keras on torch swaps in backend classes, so its "module" names those; ours the public one.
    assert (config["module"], config["registered_name"]) == ("keras.optimizers", None)
    assert config["class_name"] == theirs["class_name"]
    assert config["config"]["learning_rate"] == theirs["config"]["learning_rate"]
    rebuilt = optimizers.deserialize(config)
    assert rebuilt.get_config() == {**optimizer.get_config(), "name": rebuilt.name}


def test_unknown_name_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"Unknown optimizer: expected one of \['adadelta', .*'sgd'\], "
        r"received: 'adafactr'",
    ):
        optimizers.get("adafactr")


@pytest.mark.parametrize("identifier", [0.01, ["sgd"], torch.nn.Linear(1, 1)])
def test_wrong_type_is_a_type_error(identifier):
    with pytest.raises(TypeError, match="optimizer must be a name, a config dict"):
        optimizers.get(identifier)


def test_public_names():
    assert set(optimizers.__all__) == {
        *NAMES.values(), *EXTRA_NAMES.values(), "LossScaleOptimizer", "Optimizer", "deserialize",
        "get", "schedules", "serialize",
    }
    for name in [*NAMES.values(), *EXTRA_NAMES.values()]:
        assert issubclass(getattr(optimizers, name), torch.optim.Optimizer)
