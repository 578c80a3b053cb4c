"""set_weights checks every array before it copies the first one, for layers and models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from torchseq import layers


def two_layer_model():
    return torchseq.Sequential([torchseq.Input((3,)), layers.Dense(2), layers.Dense(1)])


def assert_unchanged(target, before):
    for ours, theirs in zip(target.get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, r"weight 3 \(dense_1/bias\) expects a numeric array, received: None"),
        (np.array(["a"]), r"weight 3 \(dense_1/bias\) expects an array of .* dtype <U1"),
        (np.array([object()], dtype=object), r"received an array of dtype object"),
        (np.array([1 + 2j]), r"received an array of dtype complex128"),
        ([0.5, None], r"received an array of dtype object"),
    ],
    ids=["none", "strings", "objects", "complex", "ragged"],
)
def test_a_bad_last_array_leaves_every_weight_unchanged(bad, message):
    model = two_layer_model()
    before = model.get_weights()
    new = [w + 1 for w in before[:3]] + [bad]
    with pytest.raises(TypeError, match=rf'Layer "sequential": .*{message}'):
        model.set_weights(new)
    assert_unchanged(model, before)


def test_a_bad_shape_leaves_every_weight_unchanged():
    layer = layers.Dense(2)
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"weight 1 \(dense/bias\) has shape \(2,\), received an "
                       r"array of shape \(3,\)"):  # fmt: skip
        layer.set_weights([before[0] + 1, np.zeros(3)])
    assert_unchanged(layer, before)


def test_a_wrong_count_names_the_expected_shapes():
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r"expects 2 weight arrays with shapes \[\(3, 2\), \(2,\)\]"):
        layer.set_weights([np.zeros((3, 2))])


@pytest.mark.parametrize("weights", [None, np.zeros((3, 2)), "weights"])
def test_not_a_list_is_a_type_error_naming_the_argument(weights):
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(TypeError, match=r"set_weights expects a list of numpy arrays, received: "
                       r"weights="):  # fmt: skip
        layer.set_weights(weights)


def test_integer_bool_and_tensor_arrays_are_accepted():
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.set_weights([np.ones((3, 2), "int64"), torch.tensor([True, False])])
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, np.ones((3, 2), "float32"))
    np.testing.assert_array_equal(bias, [1.0, 0.0])
