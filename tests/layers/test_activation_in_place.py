"""Layers that run their activation in place on the kernel's output: numbers, gradients, and
``layer.activation`` assigned after construction."""

from __future__ import annotations

import pytest
import torch

from torchseq import activations
from torchseq.layers.convolutional import Conv1D, Conv2D
from torchseq.layers.convolutional_transpose import Conv2DTranspose
from torchseq.layers.core import Dense
from torchseq.layers.separable_conv import DepthwiseConv2D, SeparableConv2D

LAYERS = [
    (lambda a: Dense(3, activation=a), (4, 5)),
    (lambda a: Dense(3, activation=a), (2, 4, 5)),
    (lambda a: Conv1D(3, 2, activation=a), (2, 6, 4)),
    (lambda a: Conv2D(3, 2, activation=a), (2, 6, 6, 4)),
    (lambda a: Conv2D(3, 2, activation=a, data_format="channels_first"), (2, 4, 6, 6)),
    (lambda a: Conv2DTranspose(3, 3, strides=2, padding="same", activation=a), (2, 3, 3, 4)),
    (lambda a: SeparableConv2D(3, 2, activation=a), (2, 6, 6, 4)),
    (lambda a: DepthwiseConv2D(2, activation=a), (2, 6, 6, 4)),
]
IDS = [
    "dense",
    "dense_3d",
    "conv1d",
    "conv2d",
    "conv2d_nchw",
    "conv2d_transpose",
    "separable",
    "depthwise",
]


@pytest.mark.parametrize(("make", "shape"), LAYERS, ids=IDS)
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax"])
def test_values_and_gradients_equal_the_activation_applied_after(make, shape, name):
    layer = make(name)
    x = torch.randn(shape, requires_grad=True)
    layer(x)
    activation = getattr(activations, name)
    linear = make(None)
    linear(x)
    linear.load_state_dict(layer.state_dict())
    actual = layer(x, training=True)
    expected = activation(linear(x, training=True))
    torch.testing.assert_close(actual, expected)
    weights = torch.randn_like(actual)
    grads = torch.autograd.grad((actual * weights).sum(), [x, *layer.parameters()])
    reference = torch.autograd.grad((expected * weights).sum(), [x, *linear.parameters()])
    for ours, theirs in zip(grads, reference):
        torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize(("make", "shape"), LAYERS, ids=IDS)
def test_an_activation_assigned_later_takes_effect(make, shape):
    layer = make(None)
    x = torch.randn(shape)
    linear_output = layer(x)
    layer.activation = activations.relu
    torch.testing.assert_close(layer(x), torch.relu(linear_output))
    layer.activation = activations.linear  # Keras's feature-extraction trick, undone
    torch.testing.assert_close(layer(x), linear_output)
