"""Tests for torchseq.layers.serialization: layer configs in Keras's form."""

import json

import pytest

import torchseq as keras


class Scaled(keras.layers.Layer):
    """keras.io's MyDense pattern: get_config returns the objects it was given."""

    def __init__(self, units, *, kernel_regularizer=None, nested=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = kernel_regularizer
        self.nested = nested

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_regularizer": self.kernel_regularizer,
            "nested": self.nested,
        }


def test_objects_in_a_custom_config_are_serialized_as_keras_does():
    reference = pytest.importorskip("keras")
    layer = Scaled(2, kernel_regularizer=keras.regularizers.L1L2(l1=0.5, l2=0.25),
                   nested=keras.layers.Dense(3, name="inner"))
    config = keras.layers.serialize(layer)["config"]
    json.dumps(config)  # a .keras archive's config.json takes it
    expected = reference.saving.serialize_keras_object(
        reference.regularizers.L1L2(l1=0.5, l2=0.25)
    )
    assert config["kernel_regularizer"] == expected
    assert config["nested"]["class_name"] == "Dense"
    assert config["nested"]["config"]["name"] == "inner"
