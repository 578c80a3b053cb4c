"""Tests for torchseq.layers.separable_conv: DepthwiseConv1D/2D and SeparableConv1D/2D."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, keras_layer, make_inputs, to_numpy
from torchseq.layers import separable_conv
from torchseq.layers.input_layer import Input
from torchseq.layers.separable_conv import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)

# Keras's own Variable.__array__ predates numpy 2's copy keyword; the warning is not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

CF = "channels_first"

# Options that change the numbers, for both the depthwise and the separable layers.
WINDOW_OPTIONS_2D = [
    ({"kernel_size": 3}, (2, 6, 7, 3)),
    ({"kernel_size": 3, "padding": "same"}, (2, 6, 7, 3)),
    ({"kernel_size": 2, "padding": "same"}, (2, 5, 6, 3)),
    ({"kernel_size": 3, "strides": 2}, (2, 7, 8, 3)),
    ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 7, 8, 3)),
    ({"kernel_size": (2, 3), "strides": (1, 2)}, (2, 6, 9, 3)),
    ({"kernel_size": 3, "dilation_rate": 2}, (2, 8, 7, 3)),
    ({"kernel_size": 2, "dilation_rate": (2, 1), "padding": "same"}, (2, 6, 7, 3)),
    # Unlike Conv2D, Keras 3 lets depthwise layers combine strides and dilation.
    ({"kernel_size": 3, "strides": 2, "dilation_rate": 2, "padding": "same"}, (2, 9, 8, 3)),
    ({"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 7, 3)),
    ({"kernel_size": 3, "depth_multiplier": 3, "padding": "same"}, (2, 5, 6, 2)),
    ({"kernel_size": 3, "use_bias": False}, (2, 6, 7, 3)),
    ({"kernel_size": 3, "activation": "relu"}, (2, 6, 7, 3)),
    ({"kernel_size": 3, "data_format": CF}, (2, 3, 6, 7)),
    (
        {
            "kernel_size": 3,
            "strides": 2,
            "padding": "same",
            "depth_multiplier": 2,
            "data_format": CF,
        },
        (2, 3, 7, 8),
    ),
]

WINDOW_OPTIONS_1D = [
    ({"kernel_size": 3}, (2, 9, 3)),
    ({"kernel_size": 4, "padding": "same"}, (2, 9, 3)),
    ({"kernel_size": 3, "strides": 2, "padding": "same"}, (2, 10, 3)),
    ({"kernel_size": 3, "dilation_rate": 2}, (2, 9, 3)),
    ({"kernel_size": 2, "strides": 3, "dilation_rate": 2}, (2, 10, 3)),
    ({"kernel_size": 3, "depth_multiplier": 2}, (2, 9, 3)),
    ({"kernel_size": (3,), "use_bias": False}, (2, 8, 3)),
    ({"kernel_size": 3, "data_format": CF}, (2, 3, 9)),
    ({"kernel_size": 2, "strides": 2, "padding": "same", "data_format": CF}, (2, 3, 9)),
]

DEPTHWISE_CASES = [LayerCase(DepthwiseConv2D, kw, shape) for kw, shape in WINDOW_OPTIONS_2D] + [
    LayerCase(DepthwiseConv1D, kw, shape) for kw, shape in WINDOW_OPTIONS_1D
]
SEPARABLE_CASES = [
    LayerCase(SeparableConv2D, {"filters": 4, **kw}, shape) for kw, shape in WINDOW_OPTIONS_2D
] + [LayerCase(SeparableConv1D, {"filters": 4, **kw}, shape) for kw, shape in WINDOW_OPTIONS_1D]


@pytest.mark.parametrize("case", DEPTHWISE_CASES + SEPARABLE_CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


GRADIENT_CASES = [
    case
    for case in DEPTHWISE_CASES + SEPARABLE_CASES
    if case.kwargs.get("depth_multiplier", 1) > 1 or case.kwargs.get("padding") == "same"
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=str)
def test_gradients_match_keras(case: LayerCase) -> None:
    reference = keras_layer(case)
    inputs = make_inputs(case)
    theirs = torch.from_numpy(inputs).requires_grad_()
    reference(theirs).square().sum().backward()
    layer = case.layer_cls(**case.kwargs)
    ours = torch.from_numpy(inputs).requires_grad_()
    layer(ours)
    layer.set_weights(reference.get_weights())
    layer(ours).square().sum().backward()
    np.testing.assert_allclose(to_numpy(ours.grad), to_numpy(theirs.grad), atol=1e-4, rtol=1e-5)
    rank = layer.rank
    depthwise = getattr(layer, layer._depthwise_name)
    # Stored (in, multiplier, *k) -> Keras (*k, in, multiplier).
    ours_grads = [depthwise.grad.permute(*range(2, rank + 2), 0, 1)]
    if isinstance(layer, separable_conv._BaseSeparableConv):
        ours_grads.append(layer.pointwise_kernel.grad.permute(*range(2, rank + 2), 1, 0))
    for mine, weight in zip(ours_grads, reference.weights):
        np.testing.assert_allclose(
            to_numpy(mine), to_numpy(weight.value.grad), atol=1e-4, rtol=1e-5
        )


# ---------------------------------------------------------------------- shapes and layout


@pytest.mark.parametrize(
    ("layer", "input_shape", "expected"),
    [
        (DepthwiseConv2D(3), (None, None, 9, 4), (None, None, 7, 4)),
        (DepthwiseConv2D(3, depth_multiplier=3, data_format=CF), (None, 2, 5, 6), (None, 6, 3, 4)),
        (DepthwiseConv2D(3, strides=2, padding="same"), (None, 7, 8, 2), (None, 4, 4, 2)),
        (DepthwiseConv1D(3, depth_multiplier=2), (None, 10, None), (None, 8, None)),
        (SeparableConv2D(5, 3, padding="same"), (None, 7, None, 3), (None, 7, None, 5)),
        (SeparableConv1D(5, 3, strides=3, data_format=CF), (None, 2, 10), (None, 5, 3)),
    ],
    ids=str,
)
def test_output_shape(layer: separable_conv.Layer, input_shape: tuple, expected: tuple) -> None:
    assert layer.compute_output_shape(input_shape) == expected


def test_kernels_stored_in_torch_layout() -> None:
    depthwise = DepthwiseConv2D((2, 3), depth_multiplier=2)
    outputs = depthwise(torch.randn(2, 5, 6, 3))
    assert depthwise.kernel.shape == (3, 2, 2, 3)
    assert [w.shape for w in depthwise.get_weights()] == [(2, 3, 3, 2), (6,)]
    assert [w.path for w in depthwise.weights] == [
        "depthwise_conv2d/kernel",
        "depthwise_conv2d/bias",
    ]
    assert outputs.shape == (2, 4, 4, 6)
    assert outputs.is_contiguous()
    separable = SeparableConv1D(4, 3, depth_multiplier=2, use_bias=False)
    outputs = separable(torch.randn(2, 8, 3))
    assert separable.depthwise_kernel.shape == (3, 2, 3)
    assert separable.pointwise_kernel.shape == (4, 6, 1)
    assert separable.bias is None
    assert [w.shape for w in separable.get_weights()] == [(3, 3, 2), (1, 6, 4)]
    assert outputs.is_contiguous()


def test_output_channel_order_matches_keras() -> None:
    # Output channel c * depth_multiplier + m is input channel c's m-th filter.
    layer = DepthwiseConv1D(1, depth_multiplier=2, use_bias=False)
    layer(torch.ones(1, 1, 2))
    layer.set_weights([np.array([[[1.0, 2.0], [10.0, 20.0]]], dtype="float32")])
    outputs = layer(torch.tensor([[[1.0, 3.0]]]))
    np.testing.assert_array_equal(to_numpy(outputs), [[[1.0, 2.0, 30.0, 60.0]]])


def test_aliases() -> None:
    keras = pytest.importorskip("keras")
    for alias in ["SeparableConvolution1D", "SeparableConvolution2D"]:
        ours = getattr(separable_conv, alias)
        assert ours.__name__ == getattr(keras.layers, alias).__name__
        assert alias in separable_conv.__all__


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "match"),
    [
        (
            DepthwiseConv2D,
            {"depth_multiplier": 0},
            ValueError,
            r"DepthwiseConv2D: depth_multiplier",
        ),
        (DepthwiseConv2D, {"depth_multiplier": 1.5}, TypeError, r"depth_multiplier=1.5"),
        (
            DepthwiseConv2D,
            {"padding": "causal"},
            ValueError,
            r"DepthwiseConv2D: padding must be one of \['valid', 'same'\].*padding='causal'",
        ),
        (DepthwiseConv1D, {"data_format": "nwc"}, ValueError, r"DepthwiseConv1D: data_format"),
        (DepthwiseConv2D, {"kernel_size": (3, 3, 3)}, ValueError, r"tuple of 2 positive"),
        (DepthwiseConv2D, {"strides": 0}, ValueError, r"strides=0"),
        (SeparableConv2D, {"filters": 0}, ValueError, r"SeparableConv2D: filters must be"),
        (SeparableConv1D, {"filters": "4"}, TypeError, r"filters='4'"),
        (
            SeparableConv1D,
            {"filters": 4, "padding": "full"},
            ValueError,
            r"SeparableConv1D: padding must be one of \['valid', 'same'\].*padding='full'",
        ),
    ],
)
def test_rejects_bad_arguments(cls: type, kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        cls(**{"kernel_size": 3, **kwargs})


@pytest.mark.parametrize("symbolic", [False, True])
def test_kernel_larger_than_input(symbolic: bool) -> None:
    layer = SeparableConv2D(4, 3, dilation_rate=2)
    inputs = Input(shape=(4, 9, 3)) if symbolic else torch.ones(1, 4, 9, 3)
    with pytest.raises(ValueError, match=r'SeparableConv2D "separable_conv2d".*\(5, 5\).*\(4, 9\)'):
        layer(inputs)


def test_wrong_rank_and_unknown_channels_name_the_layer() -> None:
    with pytest.raises(ValueError, match=r'layer "depthwise_conv2d".*expected ndim=4'):
        DepthwiseConv2D(3)(torch.ones(1, 6, 3))
    with pytest.raises(ValueError, match=r'DepthwiseConv1D "depthwise_conv1d": the channel axis'):
        DepthwiseConv1D(3)(Input(shape=(10, None)))
