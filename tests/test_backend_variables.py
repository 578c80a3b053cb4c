"""Keras 2's ``K.get_value`` / ``K.set_value`` on weights, variables and optimizer rates."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq import backend as K
from torchseq.layers.variables import Variable


def test_variable_is_a_named_keras_variable():
    v = K.variable([1.0, 2.0], name="scale")
    assert isinstance(v, torch.nn.Parameter) and isinstance(v, Variable)
    assert (v.name, v.path) == ("scale", "scale")
    v.assign([3.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])


def test_get_and_set_value_speak_keras_layout_for_a_conv_kernel():
    conv = keras.layers.Conv2D(4, 3)
    conv(torch.zeros(1, 5, 5, 2))
    value = np.arange(3 * 3 * 2 * 4, dtype="float32").reshape(3, 3, 2, 4)
    K.set_value(conv.kernel, value)
    np.testing.assert_array_equal(K.get_value(conv.kernel), value)
    np.testing.assert_array_equal(conv.get_weights()[0], value)
    with pytest.raises(ValueError, match=r"conv2d/kernel.*\(3, 3, 2, 4\)"):
        K.set_value(conv.kernel, np.zeros((4, 2, 3, 3)))


def test_get_and_set_value_of_optimizer_rate():
    optimizer = keras.optimizers.RMSprop(learning_rate=0.001)
    K.set_value(optimizer.lr, 0.02)
    assert K.get_value(optimizer.lr) == np.float32(0.02)
    assert optimizer.learning_rate == 0.02


def test_set_value_keeps_working_on_plain_tensors():
    x = torch.zeros(2)
    K.set_value(x, [1, 2])
    np.testing.assert_array_equal(K.get_value(x), [1.0, 2.0])
