"""Tests for torchseq.layers.convolutional: Conv1D, Conv2D and Conv3D."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, keras_layer, make_inputs, to_numpy
from torchseq.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from torchseq.layers.input_layer import Input
from torchseq.layers.pooling import GlobalAveragePooling3D, MaxPooling2D, MaxPooling3D

# Keras's own Variable.__array__ predates numpy 2's copy keyword; the warning is not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

CF = "channels_first"

CONV2D_CASES = [
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 3}, (2, 7, 8, 3)),
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 7, 8, 3)),
    # An even kernel pads one more element after than before.
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 2, "padding": "same"}, (2, 6, 5, 3)),
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 7, 8, 3)),
    # Odd and even sizes with stride 2: uneven padding along one axis, none along the other.
    LayerCase(
        Conv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 7, 8, 3)
    ),
    LayerCase(
        Conv2D, {"filters": 4, "kernel_size": 4, "strides": 3, "padding": "SAME"}, (2, 9, 10, 3)
    ),
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (2, 9, 8, 3)),
    LayerCase(
        Conv2D,
        {"filters": 4, "kernel_size": 2, "dilation_rate": (2, 3), "padding": "same"},
        (2, 7, 8, 3),
    ),
    LayerCase(Conv2D, {"filters": 6, "kernel_size": 3, "groups": 2}, (2, 6, 7, 4)),
    LayerCase(
        Conv2D, {"filters": 4, "kernel_size": 3, "groups": 4, "padding": "same"}, (2, 5, 6, 4)
    ),
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 3, "use_bias": False}, (2, 6, 7, 3)),
    LayerCase(Conv2D, {"filters": 4, "kernel_size": (2, 3), "strides": (1, 2)}, (2, 6, 9, 3)),
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 3, "activation": "relu"}, (2, 6, 6, 3)),
    LayerCase(Conv2D, {"filters": 4, "kernel_size": 3, "data_format": CF}, (2, 3, 7, 8)),
    LayerCase(
        Conv2D,
        {"filters": 4, "kernel_size": (3, 2), "strides": 2, "padding": "same", "data_format": CF},
        (2, 3, 7, 8),
    ),
    LayerCase(
        Conv2D, {"filters": 4, "kernel_size": 3, "groups": 2, "data_format": CF}, (2, 4, 6, 5)
    ),
]

CONV1D_CASES = [
    LayerCase(Conv1D, {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
    LayerCase(Conv1D, {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 9, 3)),
    LayerCase(Conv1D, {"filters": 4, "kernel_size": 4, "padding": "same"}, (2, 8, 3)),
    LayerCase(Conv1D, {"filters": 4, "kernel_size": 3, "padding": "causal"}, (2, 9, 3)),
    LayerCase(
        Conv1D, {"filters": 4, "kernel_size": 2, "padding": "causal", "dilation_rate": 4}, (2, 9, 3)
    ),
    LayerCase(
        Conv1D, {"filters": 4, "kernel_size": 3, "padding": "causal", "strides": 2}, (2, 9, 3)
    ),
    LayerCase(Conv1D, {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 10, 3)),
    LayerCase(
        Conv1D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 10, 3)
    ),
    LayerCase(Conv1D, {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (2, 9, 3)),
    LayerCase(Conv1D, {"filters": 6, "kernel_size": 3, "groups": 3}, (2, 8, 6)),
    LayerCase(Conv1D, {"filters": 4, "kernel_size": (3,), "use_bias": False}, (2, 8, 3)),
    LayerCase(Conv1D, {"filters": 4, "kernel_size": 3, "data_format": CF}, (2, 3, 9)),
    LayerCase(
        Conv1D, {"filters": 4, "kernel_size": 3, "padding": "causal", "data_format": CF}, (2, 3, 9)
    ),
    LayerCase(
        Conv1D,
        {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "data_format": CF},
        (2, 3, 9),
    ),
]

CONV3D_CASES = [
    LayerCase(Conv3D, {"filters": 3, "kernel_size": 2}, (2, 4, 5, 3, 2)),
    LayerCase(Conv3D, {"filters": 3, "kernel_size": 3, "padding": "same"}, (2, 4, 5, 3, 2)),
    LayerCase(
        Conv3D, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 5, 4, 3, 2)
    ),
    LayerCase(
        Conv3D, {"filters": 3, "kernel_size": (2, 3, 1), "strides": (1, 2, 2)}, (2, 4, 5, 3, 2)
    ),
    LayerCase(Conv3D, {"filters": 3, "kernel_size": 2, "dilation_rate": 2}, (2, 4, 5, 3, 2)),
    LayerCase(Conv3D, {"filters": 4, "kernel_size": 2, "groups": 2}, (2, 3, 4, 3, 4)),
    LayerCase(Conv3D, {"filters": 3, "kernel_size": 2, "use_bias": False}, (2, 3, 4, 3, 2)),
    LayerCase(Conv3D, {"filters": 3, "kernel_size": 2, "data_format": CF}, (2, 2, 4, 5, 3)),
    LayerCase(
        Conv3D,
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "data_format": CF},
        (2, 2, 5, 4, 3),
    ),
]


@pytest.mark.parametrize("case", CONV2D_CASES + CONV1D_CASES + CONV3D_CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


# Gradients through the padding paths (uneven "same", causal) and grouped kernels.
GRADIENT_CASES = [
    case
    for case in CONV2D_CASES + CONV1D_CASES + CONV3D_CASES
    if case.kwargs.get("padding", "valid").lower() != "valid" or "groups" in case.kwargs
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
    grads = [w.value.grad for w in reference.weights]
    layer_grads = [layer.kernel.grad.permute(*_keras_order(layer.rank))]
    if layer.bias is not None:
        layer_grads.append(layer.bias.grad)
    for mine, expected in zip(layer_grads, grads):
        np.testing.assert_allclose(to_numpy(mine), to_numpy(expected), atol=1e-4, rtol=1e-5)


def _keras_order(rank: int) -> tuple[int, ...]:
    """Permutation from the stored (out, in, *k) kernel to Keras's (*k, in, out)."""
    return (*range(2, rank + 2), 1, 0)


# ---------------------------------------------------------------------- shapes


def test_seed_document_shapes_and_params() -> None:
    inputs = Input(shape=(250, 250, 3))
    first = Conv2D(32, 5, strides=2, activation="relu")
    second = Conv2D(32, 3)
    pool = MaxPooling2D(3)
    x = first(inputs)
    assert x.shape == (None, 123, 123, 32)
    assert first.count_params() == 2432
    x = second(x)
    assert x.shape == (None, 121, 121, 32)
    assert second.count_params() == 9248
    assert pool(x).shape == (None, 40, 40, 32)
    assert first.compute_output_shape((None, 250, 250, 3)) == (None, 123, 123, 32)
    assert second.compute_output_shape((None, 123, 123, 32)) == (None, 121, 121, 32)
    assert pool.compute_output_shape((None, 121, 121, 32)) == (None, 40, 40, 32)


@pytest.mark.parametrize(
    ("kwargs", "input_shape", "expected"),
    [
        ({"kernel_size": 3}, (None, None, 9, 3), (None, None, 7, 8)),
        ({"kernel_size": 3, "padding": "same", "strides": 2}, (4, 9, None, 3), (4, 5, None, 8)),
        ({"kernel_size": 3, "dilation_rate": 3}, (None, 9, 7, 3), (None, 3, 1, 8)),
        ({"kernel_size": 3, "data_format": CF}, (None, 3, 9, None), (None, 8, 7, None)),
        ({"kernel_size": (1, 4), "strides": (3, 2)}, (None, 10, 10, 3), (None, 4, 4, 8)),
    ],
)
def test_conv2d_output_shape(kwargs: dict, input_shape: tuple, expected: tuple) -> None:
    assert Conv2D(8, **kwargs).compute_output_shape(input_shape) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"padding": "valid"}, (None, 6, 8)),
        ({"padding": "same"}, (None, 10, 8)),
        ({"padding": "causal"}, (None, 10, 8)),
        ({"padding": "causal", "strides": 3}, (None, 4, 8)),
        ({"padding": "valid", "strides": 3}, (None, 2, 8)),
        ({"padding": "same", "dilation_rate": 2}, (None, 10, 8)),
    ],
)
def test_conv1d_output_shape(kwargs: dict, expected: tuple) -> None:
    assert Conv1D(8, 5, **kwargs).compute_output_shape((None, 10, 3)) == expected


def test_symbolic_input_with_unknown_sizes() -> None:
    outputs = Conv2D(8, 3, padding="same", strides=2)(Input(shape=(None, None, 3)))
    assert outputs.shape == (None, None, None, 8)


def test_same_padding_follows_each_input_size() -> None:
    layer = Conv2D(2, 3, strides=2, padding="same")
    assert layer(torch.ones(1, 7, 8, 3)).shape == (1, 4, 4, 2)
    assert layer(torch.ones(1, 9, 4, 3)).shape == (1, 5, 2, 2)


def test_causal_output_ignores_later_steps() -> None:
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = torch.randn(1, 12, 3)
    changed = x.clone()
    changed[:, 8:] += 1.0
    np.testing.assert_array_equal(to_numpy(layer(x)[:, :8]), to_numpy(layer(changed)[:, :8]))


# ---------------------------------------------------------------------- weights and layout


def test_kernel_stored_in_torch_layout() -> None:
    layer = Conv2D(6, (2, 3), groups=2)
    layer(torch.ones(1, 5, 6, 4))
    assert layer.kernel.shape == (6, 2, 2, 3)
    assert layer.kernel.is_contiguous()
    assert [w.shape for w in layer.get_weights()] == [(2, 3, 2, 6), (6,)]
    assert [w.path for w in layer.weights] == ["conv2d/kernel", "conv2d/bias"]
    conv1d = Conv1D(5, 4, use_bias=False)
    conv1d(torch.ones(1, 8, 3))
    assert conv1d.kernel.shape == (5, 3, 4)
    assert conv1d.bias is None
    assert [w.shape for w in conv1d.get_weights()] == [(4, 3, 5)]


def test_channels_last_output_needs_no_copy() -> None:
    assert Conv2D(4, 3, padding="same")(torch.randn(2, 6, 6, 3)).is_contiguous()
    assert Conv1D(4, 3, padding="causal")(torch.randn(2, 6, 3)).is_contiguous()


def test_regularizer_and_constraint_see_keras_layout() -> None:
    layer = Conv2D(2, 3, kernel_regularizer="l2", kernel_constraint="non_neg")
    layer(torch.ones(1, 5, 5, 3))
    kernel = layer.get_weights()[0]
    (penalty,) = layer.losses
    np.testing.assert_allclose(penalty.item(), 0.01 * np.square(kernel).sum(), rtol=1e-5)
    layer._apply_constraints()
    assert (layer.get_weights()[0] >= 0).all()


def test_aliases() -> None:
    assert Convolution1D is Conv1D
    assert Convolution2D is Conv2D
    assert Convolution3D is Conv3D


def test_conv3d_kernel_layout_and_output_shape() -> None:
    layer = Conv3D(5, (1, 2, 3))
    assert layer.compute_output_shape((None, 4, None, 6, 3)) == (None, 4, None, 4, 5)
    outputs = layer(torch.randn(2, 4, 5, 6, 3))
    assert outputs.shape == (2, 4, 4, 4, 5)
    assert outputs.is_contiguous()
    assert layer.kernel.shape == (5, 3, 1, 2, 3)
    assert [w.shape for w in layer.get_weights()] == [(1, 2, 3, 3, 5), (5,)]


def test_conv3d_kernel_larger_than_input() -> None:
    with pytest.raises(ValueError, match=r'Conv3D "conv3d".*spans \(3, 3, 3\).*size \(4, 2, 4\)'):
        Conv3D(2, 3)(Input(shape=(4, 2, 4, 3)))


def test_conv3d_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"Conv3D: padding must be one of \['valid', 'same'\]"):
        Conv3D(2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"Conv3D: kernel_size must be.*tuple of 3"):
        Conv3D(2, (3, 3))
    with pytest.raises(ValueError, match=r"Conv3D: data_format must be one of"):
        Conv3D(2, 3, data_format="ndhwc")


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"filters": 0}, ValueError, r"Conv2D: filters must be a positive integer.*filters=0"),
        ({"filters": -2}, ValueError, r"filters=-2"),
        ({"filters": "8"}, TypeError, r"Conv2D: filters must be a positive integer.*'8'"),
        ({"filters": 2.0}, TypeError, r"filters=2.0"),
        ({"groups": 0}, ValueError, r"groups must be a positive integer.*groups=0"),
        ({"groups": 3}, ValueError, r"Conv2D: filters \(=8\) must be divisible by groups \(=3\)"),
        ({"kernel_size": 0}, ValueError, r"kernel_size must be a positive.*kernel_size=0"),
        ({"kernel_size": (3, 3, 3)}, ValueError, r"tuple of 2 positive.*\(3, 3, 3\)"),
        ({"kernel_size": "3"}, TypeError, r"kernel_size='3'"),
        ({"kernel_size": (3, 1.5)}, TypeError, r"kernel_size=\(3, 1.5\)"),
        ({"strides": (1, 0)}, ValueError, r"strides=\(1, 0\)"),
        (
            {"strides": 2, "dilation_rate": 2},
            ValueError,
            r"Conv2D: strides > 1 cannot be combined with dilation_rate > 1.*strides=\(2, 2\)",
        ),
        (
            {"padding": "full"},
            ValueError,
            r"Conv2D: padding must be one of \['valid', 'same'\], received: padding='full'",
        ),
        ({"padding": "causal"}, ValueError, r"\['valid', 'same'\].*padding='causal'"),
        ({"padding": 1}, TypeError, r"padding=1"),
        ({"data_format": "nhwc"}, ValueError, r"Conv2D: data_format must be one of.*'nhwc'"),
    ],
)
def test_conv2d_rejects_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    arguments = {"filters": 8, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match=match):
        Conv2D(**arguments)


def test_conv1d_padding_choices_include_causal() -> None:
    with pytest.raises(ValueError, match=r"\['valid', 'same', 'causal'\].*padding='full'"):
        Conv1D(4, 3, padding="full")


def test_input_channels_must_divide_by_groups() -> None:
    layer = Conv2D(4, 3, groups=2)
    with pytest.raises(ValueError, match=r'Conv2D "conv2d": input channels \(=3\).*groups \(=2\)'):
        layer(torch.ones(1, 5, 5, 3))
    assert not layer.built


@pytest.mark.parametrize("symbolic", [False, True])
def test_kernel_larger_than_input(symbolic: bool) -> None:
    layer = Conv2D(4, 5, dilation_rate=2)
    inputs = Input(shape=(8, 20, 3)) if symbolic else torch.ones(1, 8, 20, 3)
    with pytest.raises(ValueError, match=r'Conv2D "conv2d".*spans \(9, 9\).*size \(8, 20\)'):
        layer(inputs)


def test_same_padding_accepts_small_inputs() -> None:
    assert Conv1D(2, 5, padding="same")(torch.ones(1, 2, 3)).shape == (1, 2, 2)


@pytest.mark.parametrize("shape", [(1, 6, 3), (1, 2, 6, 6, 3)])
def test_wrong_rank_names_the_layer(shape: tuple) -> None:
    with pytest.raises(ValueError, match=r'layer "conv2d".*expected ndim=4'):
        Conv2D(4, 3)(torch.ones(shape))


def test_wrong_channels_after_build_names_the_layer() -> None:
    layer = Conv2D(4, 3)
    layer(torch.ones(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r'layer "conv2d".*axis -1 of input shape to have value 3'):
        layer(torch.ones(1, 5, 5, 2))


def test_unknown_channels_cannot_build() -> None:
    with pytest.raises(ValueError, match=r'Conv1D "conv1d": the channel axis'):
        Conv1D(4, 3)(Input(shape=(10, None)))


def test_volume_classifier_trains() -> None:
    from torchseq.layers.core import Dense
    from torchseq.models.sequential import Sequential

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6, 6, 6, 2)).astype("float32")
    y = (x.mean(axis=(1, 2, 3, 4)) > 0).astype("float32")[:, None]
    model = Sequential(
        [
            Input((6, 6, 6, 2)),
            Conv3D(4, 3, padding="same", activation="relu"),
            MaxPooling3D(2),
            GlobalAveragePooling3D(),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]


def _standardized_conv(base: type, ops_module) -> type:
    """keras.io's StandardizedConv2DWithOverride, written against ``base``'s library."""

    class StandardizedConv2D(base):
        def convolution_op(self, inputs, kernel):
            mean, var = ops_module.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return ops_module.conv(
                inputs, (kernel - mean) / ops_module.sqrt(var + 1e-10), padding="valid",
                strides=list(self.strides),
            )

    return StandardizedConv2D


def test_an_overridden_convolution_op_gets_the_keras_kernel_and_matches_keras():
    keras = pytest.importorskip("keras")
    from torchseq import ops

    inputs = np.random.default_rng(0).normal(size=(2, 9, 9, 3)).astype("float32")
    reference = _standardized_conv(keras.layers.Conv2D, keras.ops)(4, 3, activation="relu")
    expected = to_numpy(reference(inputs))
    layer = _standardized_conv(Conv2D, ops)(4, 3, activation="relu")
    layer(torch.from_numpy(inputs))
    layer.set_weights([to_numpy(w) for w in reference.get_weights()])
    np.testing.assert_allclose(to_numpy(layer(torch.from_numpy(inputs))), expected, atol=1e-5)
    assert not Conv2D._custom_convolution_op, "the built-in path keeps the torch kernel"


def test_convolution_op_convolves_without_bias_or_activation():
    layer = Conv2D(4, 3, strides=2, padding="same", activation="relu")
    x = torch.randn(2, 7, 8, 3)
    layer(x)
    with torch.no_grad():
        layer.bias.fill_(-100.0)  # relu of conv + bias would be all zeros
        outputs = layer.convolution_op(x, layer.kernel.value)
    assert outputs.shape == (2, 4, 4, 4) and bool((outputs < 0).any())
