"""Tests for torchseq.constraints: parity with keras.constraints, lookup and serialization."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq import constraints

# (class name, constructor arguments, weight shape in Keras layout)
DENSE, CONV = (6, 4), (3, 3, 4, 5)
CASES = [
    ("Constraint", {}, DENSE),
    ("MaxNorm", {}, DENSE),
    ("MaxNorm", {"max_value": 0.5, "axis": 1}, DENSE),
    ("MaxNorm", {"max_value": 3.0, "axis": [0, 1, 2]}, CONV),
    ("MinMaxNorm", {}, DENSE),
    ("MinMaxNorm", {"min_value": 2.0, "max_value": 4.0, "rate": 0.5, "axis": 1}, DENSE),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5, "axis": (0, 1, 2)}, CONV),
    ("NonNeg", {}, DENSE),
    ("NonNeg", {}, CONV),
    ("UnitNorm", {}, DENSE),
    ("UnitNorm", {"axis": -1}, DENSE),
    ("UnitNorm", {"axis": [0, 1, 2]}, CONV),
]

# Every string Keras 3 resolves (keras.constraints.ALL_OBJECTS_DICT).
NAME_TO_CLASS = {
    "Constraint": "Constraint",
    "constraint": "Constraint",
    "MaxNorm": "MaxNorm",
    "max_norm": "MaxNorm",
    "MinMaxNorm": "MinMaxNorm",
    "min_max_norm": "MinMaxNorm",
    "NonNeg": "NonNeg",
    "non_neg": "NonNeg",
    "UnitNorm": "UnitNorm",
    "unit_norm": "UnitNorm",
}


def case_id(case: tuple[str, dict, tuple]) -> str:
    name, kwargs, shape = case
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items()) + f"-{shape}"


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def weights(shape: tuple[int, ...]) -> np.ndarray:
    """Mixed signs, norms on both sides of the bounds, and one all-zero slice."""
    values = np.random.default_rng(0).normal(size=shape).astype("float32") * 2
    values[..., 0] = 0.0
    return values


def make(case: tuple[str, dict, tuple]) -> constraints.Constraint:
    class_name, kwargs, _ = case
    return getattr(constraints, class_name)(**kwargs)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_keras(keras, case):
    class_name, kwargs, shape = case
    w = weights(shape)
    expected = np.asarray(getattr(keras.constraints, class_name)(**kwargs)(w))
    actual = make(case)(torch.from_numpy(w))
    assert actual.shape == shape and actual.dtype == torch.float32
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_keeps_float64(case):
    w = torch.from_numpy(weights(case[2]).astype("float64"))
    assert make(case)(w).dtype == torch.float64


def test_norms_land_in_range():
    w = torch.from_numpy(weights(DENSE)) * 5
    norms = constraints.MaxNorm(1.0)(w).norm(dim=0)
    assert norms.max() <= 1.0 + 1e-6
    unit = constraints.UnitNorm(axis=0)(w).norm(dim=0)
    torch.testing.assert_close(unit[1:], torch.ones(3))
    assert unit[0] == 0  # the zero column stays zero thanks to epsilon
    clipped = constraints.MinMaxNorm(2.0, 3.0)(w / 100).norm(dim=0)
    torch.testing.assert_close(clipped[1:], torch.full((3,), 2.0))


def test_epsilon_is_read_from_config(monkeypatch):
    from torchseq import config

    w = torch.tensor([[3.0], [4.0]])
    monkeypatch.setattr(config, "_EPSILON", 1.0)
    torch.testing.assert_close(constraints.UnitNorm()(w), w / 6.0)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_config_matches_keras(keras, case):
    class_name, kwargs, _ = case
    assert make(case).get_config() == getattr(keras.constraints, class_name)(**kwargs).get_config()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_serialize_matches_keras_and_round_trips(keras, case):
    class_name, kwargs, shape = case
    original = make(case)
    config = constraints.serialize(original)
    assert config == keras.constraints.serialize(getattr(keras.constraints, class_name)(**kwargs))
    restored = constraints.get(config)
    assert type(restored) is type(original)
    w = torch.from_numpy(weights(shape))
    torch.testing.assert_close(restored(w), original(w))


def test_axis_list_from_json_config():
    restored = constraints.deserialize({"class_name": "UnitNorm", "config": {"axis": [0, 1]}})
    out = restored(torch.ones(2, 2, 3))
    torch.testing.assert_close(out.square().sum(dim=(0, 1)), torch.ones(3))


def test_keras_names_are_the_expected_table(keras):
    from keras.src.constraints import ALL_OBJECTS_DICT

    assert {name: cls.__name__ for name, cls in ALL_OBJECTS_DICT.items()} == NAME_TO_CLASS


def test_public_names_match_keras(keras):
    public = {name for name in dir(keras.constraints) if not name.startswith("_")}
    assert public <= set(constraints.__all__)
    assert all(hasattr(constraints, name) for name in constraints.__all__)


@pytest.mark.parametrize("name", sorted(NAME_TO_CLASS))
def test_get_resolves_every_keras_name(name):
    assert type(constraints.get(name)).__name__ == NAME_TO_CLASS[name]


def test_aliases_are_the_classes():
    assert isinstance(constraints.max_norm(3), constraints.MaxNorm)
    assert constraints.get("max_norm").get_config() == {"max_value": 2, "axis": 0}


def test_get_passes_through_none_instances_and_callables():
    assert constraints.get(None) is None
    instance = constraints.UnitNorm(axis=1)
    assert constraints.get(instance) is instance
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)

    def clip(w):
        return w.clamp(-1, 1)

    assert constraints.get(clip) is clip


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown constraint") as info:
        constraints.get("maxnorm")
    assert str(sorted(NAME_TO_CLASS)) in str(info.value)
    assert "received: 'maxnorm'" in str(info.value)


def test_get_rejects_other_types():
    with pytest.raises(TypeError, match="constraint must be .* received: 2 of type int"):
        constraints.get(2)


def test_deserialize_rejects_malformed_dict():
    with pytest.raises(ValueError, match="string 'class_name' and a dict 'config'"):
        constraints.deserialize({"config": {}})


def test_serialize_none_like_keras(keras):
    assert constraints.serialize(None) is None
    assert keras.constraints.serialize(None) is None
