"""Tests for torchseq.layers.convolutional_transpose: Conv1D/2D/3DTranspose."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, keras_layer, make_inputs, to_numpy
from torchseq.layers import convolutional_transpose
from torchseq.layers.convolutional_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
from torchseq.layers.input_layer import Input

# Keras's own Variable.__array__ predates numpy 2's copy keyword; the warning is not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

CF = "channels_first"

CONV2D_TRANSPOSE_CASES = [
    LayerCase(Conv2DTranspose, {"filters": 4, "kernel_size": 3}, (2, 4, 5, 3)),
    LayerCase(Conv2DTranspose, {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 4, 5, 3)),
    # A stride larger than the kernel: "valid" adds stride - kernel positions at the end.
    LayerCase(Conv2DTranspose, {"filters": 4, "kernel_size": 2, "strides": 3}, (2, 3, 4, 3)),
    LayerCase(Conv2DTranspose, {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 4, 5, 3)),
    LayerCase(
        Conv2DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 4, 5, 3),
    ),
    LayerCase(
        Conv2DTranspose,
        {"filters": 4, "kernel_size": (2, 4), "strides": (2, 3), "padding": "same"},
        (2, 4, 3, 3),
    ),
    LayerCase(
        Conv2DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2, "output_padding": 1},
        (2, 4, 5, 3),
    ),
    LayerCase(
        Conv2DTranspose,
        {
            "filters": 4,
            "kernel_size": 3,
            "strides": (2, 3),
            "padding": "same",
            "output_padding": (0, 2),
        },
        (2, 4, 5, 3),
    ),
    LayerCase(
        Conv2DTranspose,
        {"filters": 4, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1},
        (2, 3, 4, 3),
    ),
    LayerCase(Conv2DTranspose, {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (2, 4, 5, 3)),
    LayerCase(
        Conv2DTranspose,
        {"filters": 4, "kernel_size": 2, "dilation_rate": (2, 3), "padding": "same"},
        (2, 4, 5, 3),
    ),
    LayerCase(Conv2DTranspose, {"filters": 4, "kernel_size": 3, "use_bias": False}, (2, 4, 5, 3)),
    LayerCase(
        Conv2DTranspose, {"filters": 4, "kernel_size": 3, "activation": "relu"}, (2, 4, 5, 3)
    ),
    LayerCase(Conv2DTranspose, {"filters": 4, "kernel_size": 3, "data_format": CF}, (2, 3, 4, 5)),
    LayerCase(
        Conv2DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": CF},
        (2, 3, 4, 5),
    ),
]

CONV1D_TRANSPOSE_CASES = [
    LayerCase(Conv1DTranspose, {"filters": 4, "kernel_size": 3}, (2, 6, 3)),
    LayerCase(Conv1DTranspose, {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 6, 3)),
    LayerCase(
        Conv1DTranspose,
        {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 6, 3),
    ),
    LayerCase(
        Conv1DTranspose,
        {"filters": 4, "kernel_size": 5, "strides": 3, "padding": "same", "output_padding": 2},
        (2, 6, 3),
    ),
    LayerCase(
        Conv1DTranspose,
        {"filters": 4, "kernel_size": 1, "strides": 3, "padding": "same"},
        (2, 6, 3),
    ),
    LayerCase(Conv1DTranspose, {"filters": 4, "kernel_size": 3, "dilation_rate": 3}, (2, 6, 3)),
    LayerCase(Conv1DTranspose, {"filters": 4, "kernel_size": 3, "use_bias": False}, (2, 6, 3)),
    LayerCase(Conv1DTranspose, {"filters": 4, "kernel_size": 3, "data_format": CF}, (2, 3, 6)),
    LayerCase(
        Conv1DTranspose,
        {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "data_format": CF},
        (2, 3, 6),
    ),
]

CONV3D_TRANSPOSE_CASES = [
    LayerCase(Conv3DTranspose, {"filters": 2, "kernel_size": 2}, (2, 3, 2, 4, 3)),
    LayerCase(
        Conv3DTranspose,
        {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 3, 2, 4, 3),
    ),
    LayerCase(
        Conv3DTranspose,
        {"filters": 2, "kernel_size": (2, 3, 1), "strides": (1, 2, 2), "output_padding": (0, 1, 1)},
        (2, 3, 2, 4, 3),
    ),
    LayerCase(
        Conv3DTranspose, {"filters": 2, "kernel_size": 2, "dilation_rate": 2}, (2, 3, 2, 4, 3)
    ),
    LayerCase(
        Conv3DTranspose, {"filters": 2, "kernel_size": 2, "data_format": CF}, (2, 3, 3, 2, 4)
    ),
]

ALL_CASES = CONV2D_TRANSPOSE_CASES + CONV1D_TRANSPOSE_CASES + CONV3D_TRANSPOSE_CASES


@pytest.mark.parametrize("case", ALL_CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


GRADIENT_CASES = [case for case in ALL_CASES if case.kwargs.get("padding") == "same"]


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
    keras_kernel_grad = reference.weights[0].value.grad
    rank = layer.rank
    ours_kernel_grad = layer.kernel.grad.permute(*range(2, rank + 2), 1, 0)
    np.testing.assert_allclose(
        to_numpy(ours_kernel_grad), to_numpy(keras_kernel_grad), atol=1e-4, rtol=1e-5
    )


# ---------------------------------------------------------------------- shapes and layout


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, (None, 7, 8)),
        ({"strides": 2}, (None, 11, 8)),
        ({"strides": 4}, (None, 20, 8)),  # (5 - 1) * 4 + max(3, 4)
        ({"strides": 2, "output_padding": 1}, (None, 12, 8)),
        ({"padding": "same"}, (None, 5, 8)),
        ({"padding": "same", "strides": 3}, (None, 15, 8)),
        ({"padding": "same", "strides": 3, "output_padding": 0}, (None, 13, 8)),
        ({"dilation_rate": 2}, (None, 9, 8)),
    ],
)
def test_conv1d_transpose_output_shape(kwargs: dict, expected: tuple) -> None:
    assert Conv1DTranspose(8, 3, **kwargs).compute_output_shape((None, 5, 2)) == expected


def test_unknown_sizes_stay_unknown() -> None:
    outputs = Conv2DTranspose(4, 3, strides=2, padding="same")(Input(shape=(None, 6, 3)))
    assert outputs.shape == (None, None, 12, 4)


def test_kernel_stored_in_torch_layout() -> None:
    layer = Conv2DTranspose(6, (2, 3))
    outputs = layer(torch.ones(2, 4, 5, 3))
    assert layer.kernel.shape == (3, 6, 2, 3)
    assert [w.shape for w in layer.get_weights()] == [(2, 3, 6, 3), (6,)]
    assert [w.path for w in layer.weights] == ["conv2d_transpose/kernel", "conv2d_transpose/bias"]
    assert outputs.shape == (2, 5, 7, 6)
    conv1d = Conv1DTranspose(5, 4, use_bias=False)
    conv1d(torch.ones(1, 8, 3))
    assert conv1d.kernel.shape == (3, 5, 4)
    assert [w.shape for w in conv1d.get_weights()] == [(4, 5, 3)]


def test_config_has_output_padding_not_groups() -> None:
    config = Conv2DTranspose(4, 3, strides=2, output_padding=1).get_config()
    assert config["output_padding"] == (1, 1)
    assert "groups" not in config
    assert Conv2DTranspose(4, 3).get_config()["output_padding"] is None


def test_aliases() -> None:
    keras = pytest.importorskip("keras")
    for alias in ["Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose"]:
        ours = getattr(convolutional_transpose, alias)
        assert ours.__name__ == getattr(keras.layers, alias).__name__
        assert alias in convolutional_transpose.__all__


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"filters": 0}, ValueError, r"Conv2DTranspose: filters must be a positive.*filters=0"),
        (
            {"padding": "causal"},
            ValueError,
            r"Conv2DTranspose: padding must be one of \['valid', 'same'\].*padding='causal'",
        ),
        ({"data_format": "nhwc"}, ValueError, r"Conv2DTranspose: data_format must be one of"),
        (
            {"strides": 2, "output_padding": 2},
            ValueError,
            r"Conv2DTranspose: each output_padding must be smaller.*=\(2, 2\), strides=\(2, 2\)",
        ),
        ({"output_padding": 1}, ValueError, r"smaller than its stride"),
        ({"strides": 2, "output_padding": -1}, ValueError, r"output_padding=-1"),
        ({"strides": 2, "output_padding": (1, 1, 1)}, ValueError, r"tuple of 2"),
        ({"strides": 2, "output_padding": "1"}, TypeError, r"output_padding='1'"),
        ({"strides": 2, "dilation_rate": 2}, ValueError, r"strides > 1 cannot be combined"),
        ({"kernel_size": (3, 0)}, ValueError, r"kernel_size=\(3, 0\)"),
    ],
)
def test_rejects_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Conv2DTranspose(**{"filters": 4, "kernel_size": 3, **kwargs})


def test_wrong_rank_names_the_layer() -> None:
    with pytest.raises(ValueError, match=r'layer "conv3d_transpose".*expected ndim=5'):
        Conv3DTranspose(2, 2)(torch.ones(1, 4, 4, 3))


# ---------------------------------------------------------------------- training


def test_encoder_decoder_trains() -> None:
    from torchseq.layers.separable_conv import DepthwiseConv2D, SeparableConv2D
    from torchseq.models.sequential import Sequential

    torch.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((16, 8, 8, 3)).astype("float32")
    model = Sequential(
        [
            Input((8, 8, 3)),
            SeparableConv2D(4, 3, strides=2, padding="same", activation="relu"),
            DepthwiseConv2D(3, padding="same", depth_multiplier=2),
            Conv2DTranspose(3, 3, strides=2, padding="same"),
        ]
    )
    assert model.output_shape == (None, 8, 8, 3)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, x, epochs=5, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
