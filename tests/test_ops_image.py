"""torchseq.ops.image against keras.ops.image (torch backend) on the same inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq import ops
from torchseq.ops import image


def op(name: str):
    return getattr(image, name)


RNG = np.random.default_rng(0)
IMG = RNG.uniform(size=(2, 9, 8, 3)).astype("float32")
IMG_CF = np.moveaxis(IMG, -1, 1).copy()
ONE = IMG[0]
U8 = (IMG * 255).astype("uint8")
VOL = RNG.uniform(size=(1, 6, 4, 4, 2)).astype("float32")
HSV = np.stack(
    [RNG.uniform(-0.5, 1.5, (2, 5, 4)), RNG.uniform(size=(2, 5, 4)), RNG.uniform(size=(2, 5, 4))],
    -1,
).astype("float32")
GRID = RNG.uniform(-1.5, 9.5, size=(2, 4, 5)).astype("float32")
SHIFT = np.array([1.0, 0.2, 1.5, -0.1, 0.9, -0.5, 0.0, 0.0], dtype="float32")
ROTATE = np.array(
    [[0.8, -0.6, 3.0, 0.6, 0.8, -1.0, 0.0, 0.0], [1.2, 0.0, -0.5, 0.1, 0.7, 2.2, 0.0, 0.0]],
    "float32",
)
START = np.array([[0, 0], [7, 0], [0, 8], [7, 8]], dtype="float32")
END = np.array([[1, 0.5], [6, 1], [0.5, 7.5], [7, 8]], dtype="float32")

# (name, args, kwargs): run through keras.ops.image.<name> and torchseq.ops.image.<name>.
KERAS_CASES = [
    ("rgb_to_grayscale", (IMG,), {}),
    ("rgb_to_grayscale", (ONE,), {}),
    ("rgb_to_grayscale", (U8,), {}),
    ("rgb_to_grayscale", (IMG_CF,), {"data_format": "channels_first"}),
    ("rgb_to_grayscale", (IMG[..., :1],), {}),
    ("rgb_to_hsv", (IMG,), {}),
    (
        "rgb_to_hsv",
        (np.array([[[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [0.2, 0.2, 0.9]]], "float32"),),
        {},
    ),
    ("rgb_to_hsv", (IMG_CF,), {"data_format": "channels_first"}),
    ("hsv_to_rgb", (HSV,), {}),
    ("resize", (IMG, (4, 5)), {}),
    ("resize", (IMG, (13, 11)), {"interpolation": "nearest"}),
    ("resize", (IMG, (12, 6)), {"interpolation": "bicubic"}),
    ("resize", (IMG, (4, 3)), {"antialias": True}),
    ("resize", (ONE, (5, 5)), {"crop_to_aspect_ratio": True}),
    ("resize", (IMG, (6, 3)), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ("resize", (IMG, (3, 6)), {"pad_to_aspect_ratio": True}),
    ("resize", (U8, (5, 7)), {"interpolation": "bicubic"}),
    ("resize", (IMG_CF, (4, 6)), {"data_format": "channels_first"}),
    (
        "pad_images",
        (IMG,),
        {"top_padding": 1, "bottom_padding": 2, "left_padding": 0, "right_padding": 3},
    ),
    (
        "pad_images",
        (ONE,),
        {"top_padding": 2, "target_height": 12, "right_padding": 1, "target_width": 10},
    ),
    (
        "pad_images",
        (IMG_CF,),
        {
            "bottom_padding": 1,
            "target_height": 11,
            "left_padding": 2,
            "target_width": 10,
            "data_format": "channels_first",
        },
    ),
    (
        "crop_images",
        (IMG,),
        {"top_cropping": 1, "bottom_cropping": 2, "left_cropping": 0, "right_cropping": 3},
    ),
    (
        "crop_images",
        (ONE,),
        {"top_cropping": 2, "target_height": 5, "right_cropping": 1, "target_width": 4},
    ),
    (
        "crop_images",
        (IMG_CF,),
        {
            "bottom_cropping": 1,
            "target_height": 6,
            "left_cropping": 2,
            "target_width": 5,
            "data_format": "channels_first",
        },
    ),
    ("extract_patches", (IMG, 2), {}),
    ("extract_patches", (IMG, (3, 2)), {"strides": 1, "padding": "same"}),
    ("extract_patches", (ONE, (2, 2)), {"strides": (3, 2), "dilation_rate": 1}),
    ("extract_patches", (IMG, 2), {"strides": 1, "dilation_rate": 2}),
    ("extract_patches", (IMG_CF, 3), {"data_format": "channels_first"}),
    ("extract_patches", (VOL, (2, 2, 2)), {}),
    ("extract_patches_3d", (VOL, 2), {"strides": 1}),
    ("extract_patches_3d", (VOL[0], (3, 2, 2)), {"padding": "same"}),
    ("gaussian_blur", (IMG,), {"data_format": "channels_last"}),
    (
        "gaussian_blur",
        (IMG,),
        {"kernel_size": (5, 5), "sigma": (1.5, 0.7), "data_format": "channels_last"},
    ),
    (
        "gaussian_blur",
        (IMG_CF,),
        {"kernel_size": (3, 3), "sigma": (2.0, 2.0), "data_format": "channels_first"},
    ),
    ("sobel_edges", (IMG,), {}),
    ("sobel_edges", (IMG_CF,), {"data_format": "channels_first"}),
    (
        "ssim",
        (IMG, np.clip(IMG + RNG.normal(0, 0.1, IMG.shape), 0, 1).astype("float32")),
        {"filter_size": 5},
    ),
    ("ssim", (ONE, ONE[::-1].copy()), {"filter_size": 3, "filter_sigma": 1.0, "max_val": 2.0}),
    ("map_coordinates", (IMG[0, :, :, 0], GRID), {"order": 1}),
    ("map_coordinates", (IMG[0, :, :, 0], GRID), {"order": 0}),
    (
        "map_coordinates",
        (IMG[0, :, :, 0], GRID),
        {"order": 1, "fill_mode": "constant", "fill_value": 0.5},
    ),
    ("map_coordinates", (IMG[0, :, :, 0], GRID * 2 - 4), {"order": 1, "fill_mode": "nearest"}),
    ("map_coordinates", (IMG[0, :, :, 0], GRID * 2 - 4), {"order": 1, "fill_mode": "wrap"}),
    ("map_coordinates", (IMG[0, :, :, 0], GRID * 3 - 9), {"order": 1, "fill_mode": "mirror"}),
    ("map_coordinates", (IMG[0, :, :, 0], GRID * 3 - 9), {"order": 0, "fill_mode": "reflect"}),
    (
        "map_coordinates",
        (VOL[0, ..., 0], RNG.uniform(-1, 6, (3, 7)).astype("float32")),
        {"order": 1},
    ),
    ("affine_transform", (IMG[:1], SHIFT), {}),  # Keras takes one transform per image
    ("affine_transform", (IMG, ROTATE), {"interpolation": "nearest", "fill_mode": "wrap"}),
    ("affine_transform", (IMG, ROTATE), {"fill_mode": "reflect"}),
    ("affine_transform", (IMG, ROTATE), {"fill_mode": "mirror", "fill_value": 0.3}),
    ("affine_transform", (ONE, SHIFT), {"fill_mode": "nearest"}),
    ("affine_transform", (IMG_CF, ROTATE), {"fill_value": 1.0, "data_format": "channels_first"}),
    ("perspective_transform", (IMG, START, END), {}),
    ("perspective_transform", (ONE, START, END), {"interpolation": "nearest", "fill_value": 0.5}),
    (
        "perspective_transform",
        (IMG_CF, np.stack([START, START]), np.stack([END, END[::-1]])),
        {"data_format": "channels_first"},
    ),
    ("scale_and_translate", (IMG, (2, 5, 4, 3), [0.5, 0.5], [0.0, 0.0], (1, 2), "linear"), {}),
    (
        "scale_and_translate",
        (IMG, (2, 14, 8, 3), [1.6, 1.0], [-1.0, 0.5], (1, 2), "cubic"),
        {"antialias": False},
    ),
    ("scale_and_translate", (IMG, (2, 4, 3, 3), [0.4, 0.4], [0.2, 0.0], (1, 2), "lanczos3"), {}),
    ("scale_and_translate", (IMG, (2, 9, 13, 3), [1.0, 1.7], [0.0, 0.0], (-3, -2), "lanczos5"), {}),
]


def _case_id(case: tuple) -> str:
    name, args, kwargs = case
    shape = "x".join(map(str, np.shape(args[0])))
    return f"{name}-{shape}" + "".join(f"-{k}={v}" for k, v in kwargs.items() if np.ndim(v) == 0)


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops_image(keras, case):
    name, args, kwargs = case
    theirs = keras.ops.convert_to_numpy(getattr(keras.ops.image, name)(*args, **kwargs))
    ours = ops.convert_to_numpy(op(name)(*args, **kwargs))
    assert ours.shape == theirs.shape
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_the_keras_ops_image_namespace_is_complete(keras):
    expected = {name for name in dir(keras.ops.image) if not name.startswith("_")}
    assert expected <= set(image.__all__)


# ---------------------------------------------------------------------- our own rules


def test_gaussian_blur_defaults_to_the_configured_data_format():
    # Keras's torch backend reads data_format=None as channels first; the default is channels last.
    ours = op("gaussian_blur")(IMG)
    torch.testing.assert_close(ours, op("gaussian_blur")(IMG, data_format="channels_last"))


def test_affine_transform_divides_by_the_projective_term():
    transform = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.1], dtype="float32")
    out = op("affine_transform")(IMG, transform, interpolation="nearest")
    # output row y reads input row y / (0.1 y + 1)
    rows = np.round(np.arange(9) / (0.1 * np.arange(9) + 1)).astype(int)
    np.testing.assert_allclose(ops.convert_to_numpy(out)[:, :, 0], IMG[:, rows, 0])


def test_elastic_transform_is_repeatable_with_a_seed_and_zero_alpha_is_the_identity():
    first = op("elastic_transform")(IMG, alpha=5.0, sigma=1.0, seed=3)
    again = op("elastic_transform")(IMG, alpha=5.0, sigma=1.0, seed=3)
    torch.testing.assert_close(first, again)
    assert first.shape == IMG.shape and first.dtype == torch.float32
    assert not torch.allclose(first, torch.tensor(IMG))
    still = op("elastic_transform")(IMG_CF, alpha=0.0, seed=1, data_format="channels_first")
    torch.testing.assert_close(still, torch.tensor(IMG_CF))


def test_resize_keeps_integer_dtypes_within_range():
    out = op("resize")(U8, (17, 3), interpolation="bicubic")
    assert out.dtype == torch.uint8


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "match"),
    [
        ("resize", (IMG, (4,)), {}, r"size to be \(height, width\), received: size=\(4,\)"),
        ("resize", (IMG, (0, 4)), {}, r"positive height and width"),
        (
            "resize",
            (IMG, (4, 4)),
            {"interpolation": "lanczos3"},
            r"\['bilinear', 'nearest', 'bicubic'\], received: interpolation='lanczos3'",
        ),
        (
            "resize",
            (IMG, (4, 4)),
            {"fill_mode": "reflect"},
            r"fill_mode='constant', received: fill_mode='reflect'",
        ),
        (
            "resize",
            (IMG, (4, 4)),
            {"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
            r"at most one of",
        ),
        (
            "resize",
            (IMG[0, 0], (4, 4)),
            {},
            r"rank 3 \(one image\) or 4 \(a batch\), received: images.shape=\(8, 3\)",
        ),
        ("rgb_to_grayscale", (IMG[..., :2],), {}, r"3 \(RGB\) or 1 \(grayscale\) channels"),
        ("rgb_to_hsv", (U8,), {}, r"floating-point images, received: images.dtype=torch.uint8"),
        (
            "pad_images",
            (IMG,),
            {"top_padding": 1},
            r"exactly two of top_padding, bottom_padding, target_height",
        ),
        (
            "pad_images",
            (IMG,),
            {"top_padding": 1, "target_height": 5, "left_padding": 0, "right_padding": 0},
            r"bottom_padding >= 0, received: bottom_padding=-5",
        ),
        (
            "crop_images",
            (IMG,),
            {"top_cropping": -1, "bottom_cropping": 0, "left_cropping": 0, "right_cropping": 0},
            r"top_cropping >= 0, received: top_cropping=-1",
        ),
        (
            "crop_images",
            (IMG,),
            {"top_cropping": 4, "target_height": 6, "left_cropping": 0, "right_cropping": 0},
            r"crop to fit in the 9x8 images",
        ),
        (
            "extract_patches",
            (IMG, (2, 2, 2, 2)),
            {},
            r"length 2 or 3, received: size=\(2, 2, 2, 2\)",
        ),
        ("sobel_edges", (ONE,), {}, r"rank 4\), received: images.shape=\(9, 8, 3\)"),
        (
            "map_coordinates",
            (IMG[0, :, :, 0], GRID[:1]),
            {"order": 1},
            r"one coordinate array per axis of inputs \(2\), received: 1",
        ),
        (
            "map_coordinates",
            (IMG[0, :, :, 0], GRID),
            {"order": 3},
            r"order 0 or 1, received: order=3",
        ),
        (
            "map_coordinates",
            (IMG[0, :, :, 0], GRID),
            {"order": 1, "fill_mode": "edge"},
            r"fill_mode to be one of .* received: fill_mode='edge'",
        ),
        (
            "affine_transform",
            (IMG, SHIFT[:6]),
            {},
            r"\(8,\) or \(batch, 8\), received: transform.shape=\(6,\)",
        ),
        (
            "affine_transform",
            (IMG, SHIFT),
            {"interpolation": "bicubic"},
            r"\['nearest', 'bilinear'\], received: interpolation='bicubic'",
        ),
        (
            "perspective_transform",
            (IMG, START[:3], END),
            {},
            r"start_points of shape \(4, 2\) or \(batch, 4, 2\)",
        ),
        (
            "scale_and_translate",
            (IMG, (2, 4, 4, 3), [0.5, 0.5], [0, 0], (1, 2), "area"),
            {},
            r"method to be one of .* received: method='area'",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.isidentifier() else "",
)
def test_errors_say_what_was_expected(name, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        op(name)(*args, **kwargs)


def test_a_patch_size_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"an int or a tuple, received: size=2.5 of type float"):
        op("extract_patches")(IMG, 2.5)


def test_one_transform_applies_to_every_image_of_a_batch():
    together = op("affine_transform")(IMG, SHIFT)
    torch.testing.assert_close(together[1], op("affine_transform")(IMG[1], SHIFT))
