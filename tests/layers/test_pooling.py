"""Tests for torchseq.layers.pooling: windowed and global max/average pooling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy
from torchseq.layers import pooling
from torchseq.layers.input_layer import Input
from torchseq.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)

AvgPool1D = pooling.AvgPool1D

# Keras's own Variable.__array__ predates numpy 2's copy keyword; the warning is not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)

CF = "channels_first"

MAX_CASES = [
    LayerCase(MaxPooling2D, {}, (2, 6, 7, 3)),
    LayerCase(MaxPooling2D, {"pool_size": 3}, (2, 7, 8, 3)),
    LayerCase(MaxPooling2D, {"pool_size": (2, 3), "strides": 1}, (2, 6, 7, 3)),
    LayerCase(MaxPooling2D, {"pool_size": 3, "strides": 2}, (2, 7, 8, 3)),
    LayerCase(MaxPooling2D, {"pool_size": 2, "strides": 3}, (2, 8, 7, 3)),
    LayerCase(MaxPooling2D, {"pool_size": 2, "padding": "same"}, (2, 5, 6, 3)),
    LayerCase(MaxPooling2D, {"pool_size": 4, "strides": 1, "padding": "same"}, (2, 6, 5, 3)),
    LayerCase(MaxPooling2D, {"pool_size": 3, "strides": (1, 2), "padding": "same"}, (2, 5, 6, 3)),
    LayerCase(MaxPooling2D, {"pool_size": 3, "data_format": CF}, (2, 3, 7, 6)),
    LayerCase(MaxPooling2D, {"pool_size": 2, "padding": "same", "data_format": CF}, (2, 3, 5, 6)),
    LayerCase(MaxPooling1D, {}, (2, 7, 3)),
    LayerCase(MaxPooling1D, {"pool_size": 3, "strides": 1}, (2, 7, 3)),
    LayerCase(MaxPooling1D, {"pool_size": 2, "strides": 3}, (2, 8, 3)),
    LayerCase(MaxPooling1D, {"pool_size": 4, "strides": 1, "padding": "same"}, (2, 7, 3)),
    LayerCase(MaxPooling1D, {"pool_size": 3, "padding": "same"}, (2, 8, 3)),
    LayerCase(MaxPooling1D, {"pool_size": 3, "data_format": CF}, (2, 3, 8)),
    LayerCase(MaxPooling1D, {"pool_size": 2, "padding": "same", "data_format": CF}, (2, 3, 7)),
    LayerCase(MaxPooling3D, {}, (2, 4, 5, 3, 2)),
    LayerCase(MaxPooling3D, {"pool_size": (2, 3, 1), "strides": 1}, (2, 4, 5, 3, 2)),
    LayerCase(MaxPooling3D, {"pool_size": 2, "strides": (1, 2, 3)}, (2, 4, 5, 7, 2)),
    LayerCase(MaxPooling3D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 4, 5, 3, 2)),
    LayerCase(MaxPooling3D, {"pool_size": 2, "data_format": CF}, (2, 2, 4, 5, 3)),
    LayerCase(
        MaxPooling3D, {"pool_size": 2, "padding": "same", "data_format": CF}, (2, 2, 3, 5, 4)
    ),
]

# Keras's torch backend averages replicated border values when "same" padding is uneven
# (keras-team/keras#23233); these cases have even padding, or uneven padding whose border
# windows hold a single real element, where every backend agrees. Uneven cases are checked
# against a direct reference below.
AVERAGE_CASES = [
    LayerCase(AveragePooling2D, {"pool_size": (2, 2)}, (2, 6, 7, 3)),
    LayerCase(AveragePooling2D, {"pool_size": (2, 3), "strides": 1}, (2, 6, 7, 3)),
    LayerCase(AveragePooling2D, {"pool_size": 3, "strides": 2}, (2, 7, 8, 3)),
    LayerCase(AveragePooling2D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 5, 6, 3)),
    LayerCase(AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 5, 3)),
    LayerCase(AveragePooling2D, {"pool_size": 2, "padding": "same"}, (2, 5, 7, 3)),
    LayerCase(AveragePooling2D, {"pool_size": 2, "data_format": CF}, (2, 3, 6, 7)),
    LayerCase(
        AveragePooling2D,
        {"pool_size": 3, "strides": 1, "padding": "same", "data_format": CF},
        (2, 3, 5, 6),
    ),
    LayerCase(AveragePooling1D, {"pool_size": 2}, (2, 7, 3)),
    LayerCase(AveragePooling1D, {"pool_size": 3, "strides": 2}, (2, 8, 3)),
    LayerCase(AveragePooling1D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 7, 3)),
    LayerCase(AveragePooling1D, {"pool_size": 2, "padding": "same"}, (2, 7, 3)),
    LayerCase(AveragePooling1D, {"pool_size": 3, "data_format": CF}, (2, 3, 7)),
    LayerCase(AveragePooling3D, {"pool_size": 2}, (2, 4, 5, 3, 2)),
    LayerCase(AveragePooling3D, {"pool_size": (2, 3, 1), "strides": 1}, (2, 4, 5, 3, 2)),
    LayerCase(AveragePooling3D, {"pool_size": 2, "strides": (1, 2, 3)}, (2, 4, 5, 7, 2)),
    LayerCase(AveragePooling3D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 4, 5, 3, 2)),
    LayerCase(AveragePooling3D, {"pool_size": 2, "padding": "same"}, (2, 4, 6, 2, 2)),
    LayerCase(AveragePooling3D, {"pool_size": 2, "data_format": CF}, (2, 2, 4, 5, 3)),
]

GLOBAL_CASES = [
    LayerCase(cls, kwargs, shape)
    for cls, shape, cf_shape in [
        (GlobalMaxPooling1D, (2, 5, 3), (2, 3, 5)),
        (GlobalAveragePooling1D, (2, 5, 3), (2, 3, 5)),
        (GlobalMaxPooling2D, (2, 4, 5, 3), (2, 3, 4, 5)),
        (GlobalAveragePooling2D, (2, 4, 5, 3), (2, 3, 4, 5)),
        (GlobalMaxPooling3D, (2, 3, 4, 2, 3), (2, 3, 3, 4, 2)),
        (GlobalAveragePooling3D, (2, 3, 4, 2, 3), (2, 3, 3, 4, 2)),
    ]
    for kwargs, shape in [
        ({}, shape),
        ({"keepdims": True}, shape),
        ({"data_format": CF}, cf_shape),
        ({"data_format": CF, "keepdims": True}, cf_shape),
    ]
]


@pytest.mark.parametrize("case", MAX_CASES + AVERAGE_CASES + GLOBAL_CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


# ---------------------------------------------------------------------- "same" average pooling


def _reference_average(x: np.ndarray, pool: tuple, strides: tuple, channels_last: bool):
    """TensorFlow's "same" average pooling, window by window (channels-first internally)."""
    if channels_last:
        x = np.moveaxis(x, -1, 1)
    sizes = x.shape[2:]
    outputs = [-(-n // s) for n, s in zip(sizes, strides)]
    befores = [
        max(0, (o - 1) * s + k - n) // 2 for o, s, k, n in zip(outputs, strides, pool, sizes)
    ]
    result = np.zeros(x.shape[:2] + tuple(outputs), dtype=x.dtype)
    for index in itertools.product(*(range(o) for o in outputs)):
        window = tuple(
            slice(max(0, i * s - b), min(n, i * s - b + k))
            for i, s, b, k, n in zip(index, strides, befores, pool, sizes)
        )
        result[(...,) + index] = x[(...,) + window].mean(axis=tuple(range(2, x.ndim)))
    return np.moveaxis(result, 1, -1) if channels_last else result


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape"),
    [
        (AveragePooling1D, {"pool_size": 4, "strides": 1}, (2, 7, 3)),
        (AveragePooling1D, {"pool_size": 3, "strides": 2}, (2, 8, 3)),
        (AveragePooling1D, {"pool_size": 4, "strides": 3, "data_format": CF}, (2, 3, 8)),
        (AveragePooling2D, {"pool_size": 4, "strides": 1}, (2, 6, 5, 3)),
        (AveragePooling2D, {"pool_size": (2, 3), "strides": (1, 2)}, (2, 5, 8, 3)),
        (AveragePooling2D, {"pool_size": 3, "strides": 2, "data_format": CF}, (2, 3, 8, 6)),
        (AveragePooling3D, {"pool_size": 3, "strides": 2}, (2, 4, 5, 6, 2)),
        (
            AveragePooling3D,
            {"pool_size": (2, 4, 1), "strides": 1, "data_format": CF},
            (1, 2, 3, 5, 4),
        ),
    ],
)
def test_same_average_counts_real_elements_only(cls: type, kwargs: dict, shape: tuple) -> None:
    layer = cls(padding="same", **kwargs)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    expected = _reference_average(
        x, layer.pool_size, layer.strides, layer.data_format == "channels_last"
    )
    actual = to_numpy(layer(torch.from_numpy(x)))
    np.testing.assert_allclose(actual, expected, atol=1e-6, rtol=1e-5)
    assert layer.compute_output_shape((None, *shape[1:]))[1:] == expected.shape[1:]


def test_same_average_pins_uneven_border() -> None:
    x = torch.arange(1.0, 6.0).reshape(1, 5, 1)
    # Padding (1, 2): the first window holds 3 real elements, the last two hold 3 and 2.
    outputs = AveragePooling1D(4, strides=1, padding="same")(x)
    np.testing.assert_allclose(to_numpy(outputs).ravel(), [2.0, 2.5, 3.5, 4.0, 4.5])


def test_same_max_ignores_padding() -> None:
    x = -torch.arange(1.0, 6.0).reshape(1, 5, 1)
    outputs = MaxPooling1D(4, strides=1, padding="same")(x)
    np.testing.assert_array_equal(to_numpy(outputs).ravel(), [-1.0, -1.0, -2.0, -3.0, -4.0])


@pytest.mark.parametrize(
    "layer",
    [
        AveragePooling2D(3, strides=2, padding="same"),
        AveragePooling1D(4, strides=1, padding="same"),
        MaxPooling2D(4, strides=1, padding="same"),
        MaxPooling1D(3, padding="same", data_format=CF),
        AveragePooling3D(3, strides=2, padding="same"),
        MaxPooling3D(2, padding="same"),
    ],
    ids=lambda layer: layer.type_name,
)
def test_same_padding_gradients(layer: pooling._BasePooling) -> None:
    shape = {1: (1, 2, 7), 2: (1, 6, 5, 2), 3: (1, 3, 4, 5, 2)}[layer.rank]
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,))


# ---------------------------------------------------------------------- shapes and layout


def test_seed_document_max_pooling_shape() -> None:
    layer = MaxPooling2D(3)
    assert layer(Input(shape=(121, 121, 32))).shape == (None, 40, 40, 32)
    assert layer.compute_output_shape((None, 121, 121, 32)) == (None, 40, 40, 32)


@pytest.mark.parametrize(
    ("layer", "input_shape", "expected"),
    [
        (MaxPooling2D(), (None, 7, None, 3), (None, 3, None, 3)),
        (MaxPooling2D(3, strides=2, padding="same"), (None, 7, 8, 3), (None, 4, 4, 3)),
        (AveragePooling2D(2, strides=3), (None, 8, 7, 3), (None, 3, 2, 3)),
        (AveragePooling2D(2, data_format=CF), (None, 3, 7, 9), (None, 3, 3, 4)),
        (MaxPooling1D(3, padding="same"), (None, 10, 4), (None, 4, 4)),
        (AveragePooling1D(3, strides=1), (None, None, 4), (None, None, 4)),
        (GlobalMaxPooling2D(), (None, None, None, 5), (None, 5)),
        (GlobalAveragePooling2D(data_format=CF, keepdims=True), (None, 5, 3, 3), (None, 5, 1, 1)),
        (GlobalAveragePooling1D(keepdims=True), (None, None, 5), (None, 1, 5)),
        (GlobalMaxPooling1D(data_format=CF), (None, 5, 9), (None, 5)),
        (MaxPooling3D(), (None, 5, None, 4, 3), (None, 2, None, 2, 3)),
        (
            AveragePooling3D(3, strides=2, padding="same", data_format=CF),
            (None, 3, 5, 6, 7),
            (None, 3, 3, 3, 4),
        ),
        (GlobalMaxPooling3D(keepdims=True), (None, 4, 5, 6, 3), (None, 1, 1, 1, 3)),
        (GlobalAveragePooling3D(data_format=CF), (None, 3, 4, 5, 6), (None, 3)),
    ],
    ids=str,
)
def test_output_shape(layer: pooling.Layer, input_shape: tuple, expected: tuple) -> None:
    assert layer.compute_output_shape(input_shape) == expected


@pytest.mark.parametrize(
    "layer",
    [
        MaxPooling2D(),
        AveragePooling2D(3, strides=2, padding="same"),
        MaxPooling1D(),
        AvgPool1D(),
        # torch's CPU avg_pool3d has no channels_last_3d kernel, so AveragePooling3D is absent.
        MaxPooling3D(),
    ],
    ids=lambda layer: layer.type_name,
)
def test_channels_last_output_needs_no_copy(layer: pooling._BasePooling) -> None:
    shape = {1: (2, 8, 4), 2: (2, 6, 7, 4), 3: (2, 4, 6, 5, 4)}[layer.rank]
    assert layer(torch.randn(shape)).is_contiguous()


def test_average_pool_size_defaults_to_keras_2s_value() -> None:
    # Keras 3 makes pool_size required for average pooling; Keras 2 code relies on 2.
    assert AveragePooling2D().pool_size == MaxPooling2D().pool_size == (2, 2)
    assert AveragePooling1D().pool_size == MaxPooling1D().pool_size == (2,)
    assert AveragePooling3D().pool_size == MaxPooling3D().pool_size == (2, 2, 2)


def test_aliases_match_keras() -> None:
    keras = pytest.importorskip("keras")
    aliases = [
        "MaxPool1D",
        "MaxPool2D",
        "AvgPool1D",
        "AvgPool2D",
        "GlobalMaxPool1D",
        "GlobalMaxPool2D",
        "GlobalAvgPool1D",
        "GlobalAvgPool2D",
        "MaxPool3D",
        "AvgPool3D",
        "GlobalMaxPool3D",
        "GlobalAvgPool3D",
    ]
    for alias in aliases:
        ours = getattr(pooling, alias)
        assert ours.__name__ == getattr(keras.layers, alias).__name__
        assert alias in pooling.__all__


# ---------------------------------------------------------------------- masks


@pytest.mark.parametrize("data_format", ["channels_last", CF])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_1d_mask_matches_keras(data_format: str, keepdims: bool) -> None:
    keras = pytest.importorskip("keras")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], dtype=bool)
    steps_first = np.random.default_rng(0).standard_normal((3, 5, 4)).astype("float32")
    steps_first[~mask] = np.nan  # masked steps must not leak into the average
    x = steps_first if data_format == "channels_last" else steps_first.transpose(0, 2, 1).copy()
    kwargs = {"data_format": data_format, "keepdims": keepdims}
    expected = to_numpy(keras.layers.GlobalAveragePooling1D(**kwargs)(x, mask=mask))
    layer = GlobalAveragePooling1D(**kwargs)
    actual = to_numpy(layer(torch.from_numpy(x), mask=torch.from_numpy(mask)))
    np.testing.assert_allclose(actual, expected, atol=1e-6, rtol=1e-6)
    assert layer.supports_masking
    assert layer.compute_mask(x, mask) is None


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pool_size": 0}, ValueError, r"MaxPooling2D: pool_size must be a positive.*pool_size=0"),
        ({"pool_size": (2, 2, 2)}, ValueError, r"tuple of 2 positive.*\(2, 2, 2\)"),
        ({"pool_size": 2.0}, TypeError, r"pool_size=2.0"),
        ({"strides": 0}, ValueError, r"MaxPooling2D: strides must be.*strides=0"),
        (
            {"padding": "causal"},
            ValueError,
            r"MaxPooling2D: padding must be one of \['valid', 'same'\], received: padding='causal'",
        ),
        ({"data_format": "NCHW"}, ValueError, r"MaxPooling2D: data_format must be one of"),
    ],
)
def test_pooling_rejects_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        MaxPooling2D(**kwargs)


def test_global_pooling_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"GlobalMaxPooling2D: keepdims must be a bool"):
        GlobalMaxPooling2D(keepdims="yes")
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D: data_format must be one of"):
        GlobalAveragePooling1D(data_format="channels_middle")


@pytest.mark.parametrize("symbolic", [False, True])
def test_window_larger_than_input(symbolic: bool) -> None:
    layer = AveragePooling2D((3, 5))
    inputs = Input(shape=(4, 4, 2)) if symbolic else torch.ones(1, 4, 4, 2)
    with pytest.raises(
        ValueError, match=r'AveragePooling2D "average_pooling2d".*\(3, 5\).*size \(4, 4\)'
    ):
        layer(inputs)


def test_3d_window_larger_than_input() -> None:
    with pytest.raises(
        ValueError, match=r'MaxPooling3D "max_pooling3d".*\(3, 3, 3\).*size \(4, 2, 4\)'
    ):
        MaxPooling3D(3)(Input(shape=(4, 2, 4, 1)))


def test_3d_pooling_rejects_bad_arguments() -> None:
    with pytest.raises(
        ValueError, match=r"AveragePooling3D: padding must be one of \['valid', 'same'\]"
    ):
        AveragePooling3D(2, padding="full")
    with pytest.raises(ValueError, match=r"GlobalMaxPooling3D: data_format must be one of"):
        GlobalMaxPooling3D(data_format="ndhwc")


@pytest.mark.parametrize(
    "layer",
    [
        MaxPooling2D(),
        GlobalAveragePooling2D(),
        MaxPooling1D(),
        GlobalMaxPooling1D(),
        AveragePooling3D(),
        GlobalMaxPooling3D(),
    ],
)
def test_wrong_rank_names_the_layer(layer: pooling.Layer) -> None:
    ndim = layer.rank + 2
    with pytest.raises(ValueError, match=rf'layer "{layer.name}".*expected ndim={ndim}'):
        layer(torch.ones((2,) * (ndim + 1)))
