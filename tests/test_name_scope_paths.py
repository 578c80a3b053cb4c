"""Weights made inside ``name_scope`` blocks carry the scopes in their ``path``, as in Keras."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import keras
import numpy as np
import pytest
import torch

import torchseq

X = np.zeros((2, 3), "float32")


def _nested_scopes(lib: ModuleType) -> list[str]:
    with lib.name_scope("encoder"), lib.name_scope("block"):
        layer = lib.layers.Dense(2, name="dense")
        layer.build((None, 3))
    return [w.path for w in layer.weights]


def _made_in_a_scope_built_outside(lib: ModuleType) -> list[str]:
    with lib.name_scope("encoder"):
        layer = lib.layers.Dense(2, name="dense")
    layer(X)
    return [w.path for w in layer.weights]


def _made_outside_built_in_a_scope(lib: ModuleType) -> list[str]:
    layer = lib.layers.BatchNormalization(name="norm")
    with lib.name_scope("encoder"):
        layer(X)
    return [w.path for w in layer.weights]


def _override_parent(lib: ModuleType) -> list[str]:
    with lib.name_scope("outer"), lib.name_scope("reset", override_parent="model/block"):
        layer = lib.layers.Dense(2, name="dense")
        layer.build((None, 3))
    return [w.path for w in layer.weights]


def _custom_layer_weight(lib: ModuleType) -> list[str]:
    class Scale(lib.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(
                shape=(input_shape[-1],), initializer="ones", name="factor"
            )

        def call(self, inputs):
            return inputs * self.scale

    layer = Scale(name="scale")
    with lib.name_scope("head"):
        layer(X)
    return [w.path for w in layer.weights]


def _functional_call(lib: ModuleType) -> list[str]:
    inputs = lib.Input((3,))
    with lib.name_scope("head"):
        outputs = lib.layers.Dense(2, name="out")(inputs)
    return [w.path for w in lib.Model(inputs, outputs).weights]


CASES = [
    (_nested_scopes, ["encoder/block/dense/kernel", "encoder/block/dense/bias"]),
    (_made_in_a_scope_built_outside, ["dense/kernel", "dense/bias"]),
    (
        _made_outside_built_in_a_scope,
        [
            "encoder/norm/gamma",
            "encoder/norm/beta",
            "encoder/norm/moving_mean",
            "encoder/norm/moving_variance",
        ],
    ),
    (_override_parent, ["model/block/reset/dense/kernel", "model/block/reset/dense/bias"]),
    (_custom_layer_weight, ["head/scale/factor"]),
    (_functional_call, ["head/out/kernel", "head/out/bias"]),
]


@pytest.mark.parametrize("make, expected", CASES, ids=[make.__name__ for make, _ in CASES])
def test_weight_paths_match_keras(make: Callable[[ModuleType], list[str]], expected: list[str]):
    assert make(keras) == expected
    assert make(torchseq) == expected


def test_a_weights_name_is_the_last_part_of_its_scoped_path():
    with torchseq.name_scope("encoder"):
        layer = torchseq.layers.Dense(2, name="dense")
        layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


def test_an_unnamed_weight_renamed_after_its_attribute_keeps_its_scope():
    # Keras keeps the automatic name ("head/scale/variable"); torchseq names the weight after
    # the attribute it is assigned to, and the scope stays in front.
    class Scale(torchseq.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.scale

    layer = Scale(name="scale")
    with torchseq.name_scope("head"):
        layer(X)
    assert [w.path for w in layer.weights] == ["head/scale/scale"]


def test_scoped_paths_survive_torch_replacing_the_tensors():
    layer = torchseq.layers.BatchNormalization(name="norm")
    with torchseq.name_scope("encoder"):
        layer(X)
    layer.double()  # buffers (the moving statistics) become new tensors
    layer.load_state_dict(layer.state_dict(), assign=True)
    assert [w.path for w in layer.weights] == [
        "encoder/norm/gamma",
        "encoder/norm/beta",
        "encoder/norm/moving_mean",
        "encoder/norm/moving_variance",
    ]
    assert layer.moving_mean.dtype == torch.float64


def test_scoped_paths_do_not_change_how_weights_files_match(tmp_path):
    def model() -> torchseq.Model:
        return torchseq.Sequential([torchseq.Input((3,)), torchseq.layers.Dense(2, name="d")])

    with torchseq.name_scope("encoder"):
        scoped = model()
    path = str(tmp_path / "scoped.weights.h5")
    scoped.save_weights(path)
    plain = model()
    plain.load_weights(path)
    assert [w.path for w in plain.weights] == ["d/kernel", "d/bias"]
    for ours, theirs in zip(plain.get_weights(), scoped.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
