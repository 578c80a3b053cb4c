"""Tests for torchseq.utils.identifiers, the shared Keras-style get/serialize rules."""

from __future__ import annotations

import pytest

from torchseq.utils import identifiers


class Scale:
    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def __call__(self, x):
        return self.factor * x

    def get_config(self) -> dict:
        return {"factor": self.factor}


class Plain:
    """A class without from_config: rebuilt with cls(**config)."""

    def __init__(self, size: int = 0) -> None:
        self.size = size

    def __call__(self, x):
        return x


OBJECTS = {"Scale": Scale, "scale": Scale, "Plain": Plain}


def resolve(identifier, custom_objects=None):
    return identifiers.resolve_object(
        identifier, kind="widget", objects=OBJECTS, custom_objects=custom_objects
    )


def test_name_instantiates_with_defaults():
    assert resolve("scale").factor == 1.0


def test_config_dict_with_and_without_from_config():
    assert resolve({"class_name": "Scale", "config": {"factor": 3.0}}).factor == 3.0
    assert resolve({"class_name": "Plain", "config": {"size": 4}}).size == 4
    assert resolve({"class_name": "Scale"}).factor == 1.0


def test_custom_objects_come_first():
    class Other(Scale):
        pass

    assert type(resolve("Scale", custom_objects={"Scale": Other})) is Other


def test_serialize_builtin_and_custom_classes():
    assert identifiers.serialize_object(
        Scale(2.0), kind="widget", module="keras.widgets", objects=OBJECTS
    ) == {
        "module": "keras.widgets",
        "class_name": "Scale",
        "config": {"factor": 2.0},
        "registered_name": None,
    }

    class Custom(Scale):
        pass

    config = identifiers.serialize_object(
        Custom(), kind="widget", module="keras.widgets", objects=OBJECTS
    )
    assert config["module"] == __name__ and config["registered_name"] == "Custom"


def test_function_round_trip():
    def double(x):
        return 2 * x

    config = identifiers.serialize_object(double, kind="widget", module="m", objects=OBJECTS)
    assert config["class_name"] == "function" and config["config"] == "double"
    assert resolve(config, custom_objects={"double": double}) is double
    with pytest.raises(ValueError, match="Unknown widget: expected one of .* received: 'double'"):
        resolve(config)


def test_errors():
    with pytest.raises(
        ValueError,
        match=r"expected one of \['Plain', 'Scale', 'scale'\], "
        r"received: 'nope'",
    ):
        resolve("nope")
    with pytest.raises(ValueError, match="string 'class_name' and a dict 'config'"):
        resolve({"class_name": "Scale", "config": [1]})
    with pytest.raises(TypeError, match="widget must be .* received: 7 of type int"):
        resolve(7)
    with pytest.raises(TypeError, match="widget must have a get_config"):
        identifiers.serialize_object(7, kind="widget", module="m", objects=OBJECTS)


def test_serialize_none_is_none():
    assert identifiers.serialize_object(None, kind="widget", module="m", objects=OBJECTS) is None
