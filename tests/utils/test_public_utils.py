"""The custom-object, dtype and naming helpers Keras 3 offers under utils / models / backend."""

from __future__ import annotations

import itertools
import os

import keras
import numpy as np
import pytest
import torch

import torchseq
from torchseq import backend as K
from torchseq import models, saving, utils


@pytest.fixture
def registry():
    """Registrations made by a test do not leak into the next one."""
    saved = dict(utils.get_custom_objects())
    yield
    utils.get_custom_objects().clear()
    utils.get_custom_objects().update(saved)


def test_utils_names_are_the_saving_ones():
    for name in (
        "CustomObjectScope",
        "custom_object_scope",
        "get_custom_objects",
        "register_keras_serializable",
        "serialize_keras_object",
        "deserialize_keras_object",
        "get_registered_name",
        "get_registered_object",
    ):
        assert getattr(utils, name) is getattr(saving, name)
    assert models.load_model is saving.load_model
    assert models.save_model is saving.save_model


def test_registered_object_round_trips_through_utils(registry):
    @utils.register_keras_serializable(package="tests")
    def scaled_relu(x):
        return torch.relu(x) * 2.0

    assert utils.get_registered_name(scaled_relu) == "tests>scaled_relu"
    assert utils.get_registered_object("tests>scaled_relu") is scaled_relu
    assert utils.get_custom_objects()["tests>scaled_relu"] is scaled_relu
    config = utils.serialize_keras_object(scaled_relu)
    assert config["registered_name"] == "tests>scaled_relu"
    assert utils.deserialize_keras_object(config) is scaled_relu


def test_custom_object_scope_makes_a_class_loadable_only_inside():
    class Doubler(torchseq.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    config = utils.serialize_keras_object(Doubler(name="double"))
    with pytest.raises((TypeError, ValueError), match="Doubler"):
        utils.deserialize_keras_object(config)
    with utils.custom_object_scope({"Doubler": Doubler}):
        assert utils.get_registered_object("Doubler") is Doubler
        layer = utils.deserialize_keras_object(config)
    assert isinstance(layer, Doubler) and layer.name == "double"
    with utils.CustomObjectScope({"Doubler": Doubler}):
        assert isinstance(utils.deserialize_keras_object(config), Doubler)
    assert utils.get_registered_object("Doubler") is None


def test_standardize_dtype_gives_keras_names():
    for dtype in ("float32", np.float64, torch.int8, "bool", np.dtype("uint8"), "bfloat16"):
        assert utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


def test_models_save_model_and_load_model_round_trip(tmp_path):
    model = torchseq.Sequential([torchseq.Input((3,)), torchseq.layers.Dense(2, name="d")])
    path = os.fspath(tmp_path / "m.keras")
    models.save_model(model, path)
    restored = models.load_model(path)
    x = torch.ones(1, 3)
    torch.testing.assert_close(restored(x), model(x))


def test_get_uid_counts_per_prefix_and_shares_layer_names():
    assert [K.get_uid("block"), K.get_uid("block"), K.get_uid("other")] == [1, 2, 1]
    torchseq.layers.Dense(2)
    assert K.get_uid("dense") == 2  # the Dense above took 1, as in Keras
    assert torchseq.layers.Dense(2).name == "dense_2"
    torchseq.utils.clear_session()
    assert K.get_uid("block") == 1


def test_backend_is_keras_tensor():
    assert K.is_keras_tensor(torchseq.Input((2,)))
    assert not K.is_keras_tensor(torch.zeros(2))
    assert not K.is_keras_tensor(np.zeros(2))


PROMOTED = ["bool", "uint8", "uint32", "int8", "int16", "int64", "bfloat16", "float16",
            "float64", "complex64", int, float, bool, None]


def test_result_type_matches_keras_on_every_pair():
    for pair in itertools.product(PROMOTED, repeat=2):
        assert K.result_type(*pair) == keras.backend.result_type(*pair), pair
    assert K.result_type() == keras.backend.result_type() == "float32"
    assert K.result_type("uint8", "int8", float) == "float32"
    assert K.result_type(torch.int16, np.uint16) == "int32"


def test_result_type_refuses_float8():
    with pytest.raises(ValueError, match="no implicit conversion from float8"):
        K.result_type("float8_e4m3fn", "float32")


@pytest.mark.parametrize(
    ("module", "name", "reason"),
    [
        (utils, "FeatureSpace", "built on tf.data"),
        (saving, "KerasFileEditor", "not ported yet"),
    ],
)
def test_left_out_names_say_why(module, name, reason):
    with pytest.raises(AttributeError, match=f"torchseq leaves out keras.*{name} .*{reason}"):
        getattr(module, name)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'$"):
        module.no_such_name  # noqa: B018 - the access is the test
