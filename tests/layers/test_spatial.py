"""Tests for torchseq.layers.spatial: ZeroPadding, Cropping and UpSampling in 1D/2D/3D."""

from __future__ import annotations

import pytest
import torch

from tests.layers.harness import LayerCase, check_layer
from torchseq.layers.input_layer import Input
from torchseq.layers.spatial import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

CF = {"data_format": "channels_first"}

CASES = [
    LayerCase(ZeroPadding1D, {}, (2, 4, 3)),
    LayerCase(ZeroPadding1D, {"padding": (2, 0)}, (2, 4, 3)),
    LayerCase(ZeroPadding1D, {"padding": 1, **CF}, (2, 3, 4)),
    LayerCase(ZeroPadding2D, {}, (2, 3, 4, 2)),
    LayerCase(ZeroPadding2D, {"padding": 2}, (2, 3, 4, 2)),
    LayerCase(ZeroPadding2D, {"padding": ((1, 0), (2, 3))}, (2, 3, 4, 2)),
    LayerCase(ZeroPadding2D, {"padding": (1, 2), **CF}, (2, 2, 3, 4)),
    LayerCase(ZeroPadding3D, {}, (1, 2, 3, 2, 2)),
    LayerCase(ZeroPadding3D, {"padding": ((0, 1), (2, 0), (1, 1))}, (1, 2, 3, 2, 2)),
    LayerCase(ZeroPadding3D, {"padding": (1, 0, 2), **CF}, (1, 2, 2, 3, 2)),
    LayerCase(Cropping1D, {}, (2, 5, 3)),
    LayerCase(Cropping1D, {"cropping": (0, 2)}, (2, 5, 3)),
    LayerCase(Cropping1D, {"cropping": 2}, (2, 5, 3)),
    LayerCase(Cropping2D, {}, (2, 4, 5, 2)),
    LayerCase(Cropping2D, {"cropping": 1}, (2, 4, 5, 2)),
    LayerCase(Cropping2D, {"cropping": ((1, 0), (2, 1))}, (2, 4, 5, 2)),
    LayerCase(Cropping2D, {"cropping": ((0, 1), (1, 0)), **CF}, (2, 2, 4, 5)),
    LayerCase(Cropping3D, {}, (1, 3, 4, 5, 2)),
    LayerCase(Cropping3D, {"cropping": ((0, 1), (1, 0), (2, 2))}, (1, 3, 4, 5, 2)),
    LayerCase(Cropping3D, {"cropping": (1, 0, 1), **CF}, (1, 2, 3, 4, 5)),
    LayerCase(UpSampling1D, {}, (2, 3, 4)),
    LayerCase(UpSampling1D, {"size": 3}, (2, 3, 4)),
    LayerCase(UpSampling2D, {}, (2, 3, 4, 2)),
    LayerCase(UpSampling2D, {"size": (2, 3)}, (2, 3, 4, 2)),
    LayerCase(UpSampling2D, {"size": 3, **CF}, (2, 2, 3, 4)),
    LayerCase(UpSampling2D, {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2)),
    LayerCase(UpSampling2D, {"size": (3, 2), "interpolation": "bilinear", **CF}, (2, 2, 3, 4)),
    LayerCase(UpSampling2D, {"size": 2, "interpolation": "bicubic"}, (2, 3, 4, 2), atol=1e-4),
    LayerCase(UpSampling3D, {}, (1, 2, 3, 2, 2)),
    LayerCase(UpSampling3D, {"size": (1, 2, 3)}, (1, 2, 3, 2, 2)),
    LayerCase(UpSampling3D, {"size": (3, 1, 2), **CF}, (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_layer(case: LayerCase) -> None:
    check_layer(case)


@pytest.mark.parametrize(
    ("layer", "input_shape", "expected"),
    [
        (ZeroPadding2D(((1, 2), (0, 3))), (None, None, 4, 3), (None, None, 7, 3)),
        (ZeroPadding1D(2, data_format="channels_first"), (None, 3, None), (None, 3, None)),
        (Cropping2D(((1, 1), (2, 0))), (None, None, 5, 3), (None, None, 3, 3)),
        (Cropping3D(1, data_format="channels_first"), (None, 2, 4, None, 5), (None, 2, 2, None, 3)),
        (UpSampling1D(3), (None, None, 4), (None, None, 4)),
        (UpSampling2D((2, 3)), (None, 4, None, 3), (None, 8, None, 3)),
        (
            UpSampling3D(2, data_format="channels_first"),
            (None, 1, 2, None, 3),
            (None, 1, 4, None, 6),
        ),
    ],
)
def test_output_shape_with_unknown_sizes(layer, input_shape: tuple, expected: tuple) -> None:
    assert layer.compute_output_shape(input_shape) == expected
    assert layer(Input(input_shape[1:])).shape == expected


def test_cropping_is_a_view_and_keeps_dtype() -> None:
    x = torch.arange(2 * 5 * 6 * 3).reshape(2, 5, 6, 3)
    y = Cropping2D(((1, 2), (0, 1)))(x)
    assert y.dtype == torch.int64
    assert y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    torch.testing.assert_close(y, x[:, 1:3, 0:5, :])


def test_channels_last_input_memory_is_kept_by_interpolation() -> None:
    x = torch.randn(2, 3, 4, 5)
    y = UpSampling2D(2, interpolation="bilinear")(x)
    assert y.shape == (2, 6, 8, 5)
    assert y.is_contiguous()  # the NCHW view of a channels_last result is channels_last memory


def test_integer_images_are_rounded_back_by_bilinear() -> None:
    x = torch.tensor([[[[0], [3]]]])
    y = UpSampling2D((1, 2), interpolation="bilinear")(x)
    assert y.dtype == torch.int64
    torch.testing.assert_close(y, torch.tensor([[[[0], [1], [2], [3]]]]))


def test_nearest_upsampling_gradient_sums_the_copies() -> None:
    x = torch.randn(1, 2, 3, 1, requires_grad=True)
    UpSampling2D((2, 3))(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.full_like(x, 6.0))


def test_config_keeps_keras_spelling() -> None:
    assert ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))
    assert ZeroPadding1D(2).get_config()["padding"] == (2, 2)
    assert Cropping3D(1).get_config()["cropping"] == ((1, 1), (1, 1), (1, 1))
    assert UpSampling1D(3).get_config()["size"] == 3
    assert UpSampling3D(2).get_config()["size"] == (2, 2, 2)
    assert "data_format" not in Cropping1D().get_config()
    assert "data_format" not in UpSampling1D().get_config()
    # A config read back from JSON has lists; it still builds the same layer.
    clone = ZeroPadding2D.from_config({"padding": [[1, 0], [2, 3]], "data_format": "channels_last"})
    assert clone.padding == ((1, 0), (2, 3))


def test_global_data_format_is_the_default() -> None:
    from torchseq import config

    config.set_image_data_format("channels_first")
    try:
        layer = ZeroPadding2D(1)
    finally:
        config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"
    assert layer(torch.zeros(1, 2, 3, 3)).shape == (1, 2, 5, 5)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: ZeroPadding2D(-1), ValueError, r"ZeroPadding2D: padding must be non-negative"),
        (
            lambda: ZeroPadding1D((1, 2, 3)),
            TypeError,
            r"ZeroPadding1D: padding must be an int or a pair",
        ),
        (lambda: ZeroPadding3D((1, 2)), TypeError, r"ZeroPadding3D: padding must be .* tuple of 3"),
        (lambda: ZeroPadding2D((1, 1.5)), TypeError, r"2nd entry of padding"),
        (
            lambda: Cropping2D(((1, -1), (0, 0))),
            ValueError,
            r"1st entry of cropping must be non-negative",
        ),
        (lambda: Cropping3D("a"), TypeError, r"Cropping3D: cropping must be"),
        (
            lambda: UpSampling1D(0),
            ValueError,
            r"UpSampling1D: size must be positive, received: size=0",
        ),
        (lambda: UpSampling1D((2, 2)), TypeError, r"UpSampling1D: size must be an int"),
        (
            lambda: UpSampling3D((2, 2)),
            TypeError,
            r"UpSampling3D: size must be an int or a tuple of 3",
        ),
        (
            lambda: UpSampling2D(interpolation="lanczos3"),
            ValueError,
            (
                r"UpSampling2D: interpolation must be one of "
                r"\['nearest', 'bilinear', 'bicubic'\], received: interpolation='lanczos3'"
            ),
        ),
        (
            lambda: UpSampling2D(interpolation=1),
            TypeError,
            r"UpSampling2D: interpolation must be a string",
        ),
        (
            lambda: Cropping2D(data_format="channels_middle"),
            ValueError,
            r"Cropping2D: data_format must be one of \['channels_last', 'channels_first'\]",
        ),
    ],
)
def test_bad_arguments(make, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_cropping_larger_than_input() -> None:
    layer = Cropping2D(((2, 2), (0, 0)))
    with pytest.raises(ValueError, match=r"cropping=\(\(2, 2\), \(0, 0\)\) must leave .* size 4"):
        layer(torch.zeros(1, 4, 4, 1))
    with pytest.raises(ValueError, match=r"size 3"):
        layer(Input((3, None, 1)))
    layer(torch.zeros(1, 5, 4, 1))
    with pytest.raises(ValueError, match=r"size 4"):  # a built layer checks later calls too
        layer(torch.zeros(1, 4, 4, 1))


@pytest.mark.parametrize(
    ("layer", "good", "bad"),
    [
        (ZeroPadding2D(), (2, 3, 4, 1), (2, 3, 4)),
        (Cropping1D(), (2, 5, 3), (2, 5, 3, 1)),
        (UpSampling3D(), (1, 2, 2, 2, 1), (1, 2, 2, 2)),
    ],
)
def test_wrong_rank_names_the_layer(layer, good: tuple, bad: tuple) -> None:
    message = rf'layer "{layer.name}".*expected ndim={len(good)}, found ndim={len(bad)}'
    with pytest.raises(ValueError, match=message):  # first call: checked at build
        layer(torch.zeros(bad))
    layer(torch.zeros(good))
    with pytest.raises(ValueError, match=message):  # built: checked in call
        layer(torch.zeros(bad))
