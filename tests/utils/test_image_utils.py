"""Tests for the image helpers: parity with Keras's (which use Pillow too)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

pytest.importorskip("PIL")
from keras.src.utils import image_utils as keras_image_utils

from torchseq.preprocessing import image as preprocessing_image
from torchseq.utils import array_to_img, img_to_array, load_img, save_img
from torchseq.utils.image_utils import smart_resize


@pytest.fixture
def picture() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(12, 20, 3)).astype("float32")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("scale", [True, False])
def test_array_to_img_and_back_match_keras(channels, data_format, scale):
    x = np.random.default_rng(1).uniform(0, 200, size=(6, 5, channels)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    ours = array_to_img(x, data_format=data_format, scale=scale)
    theirs = keras_image_utils.array_to_img(x, data_format=data_format, scale=scale)
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    np.testing.assert_array_equal(
        img_to_array(ours, data_format=data_format),
        keras_image_utils.img_to_array(theirs, data_format=data_format),
    )


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
@pytest.mark.parametrize(
    ("target_size", "interpolation", "keep"),
    [(None, "nearest", False), ((7, 9), "bilinear", False), ((8, 8), "bicubic", True)],
)
def test_load_img_matches_keras(tmp_path, picture, color_mode, target_size, interpolation, keep):
    path = tmp_path / "picture.png"
    save_img(path, picture, scale=False)
    kwargs = {
        "color_mode": color_mode,
        "target_size": target_size,
        "interpolation": interpolation,
        "keep_aspect_ratio": keep,
    }
    ours = load_img(path, **kwargs)
    theirs = keras_image_utils.load_img(path, **kwargs)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    np.testing.assert_array_equal(img_to_array(load_img(str(path))), img_to_array(load_img(path)))


def test_save_img_round_trips_and_jpeg_drops_alpha(tmp_path, picture):
    save_img(tmp_path / "a.png", picture, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(tmp_path / "a.png")), picture)
    buffer = io.BytesIO()
    save_img(buffer, picture, file_format="png", scale=False)
    buffer.seek(0)
    np.testing.assert_array_equal(img_to_array(load_img(buffer)), picture)
    rgba = np.concatenate([picture, np.full((12, 20, 1), 255.0)], axis=-1)
    with pytest.warns(UserWarning, match="alpha"):
        save_img(tmp_path / "b.jpg", rgba)
    assert load_img(tmp_path / "b.jpg", color_mode="rgba").size == (20, 12)


@pytest.mark.parametrize("size", [(8, 8), (6, 15), (20, 4)])
def test_smart_resize_matches_keras(picture, size):
    ours = smart_resize(picture, size)
    theirs = keras_image_utils.smart_resize(picture, size)
    assert isinstance(ours, np.ndarray)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)
    batch = torch.as_tensor(np.stack([picture, picture]))
    assert tuple(smart_resize(batch, size).shape) == (2, *size, 3)


def test_errors_say_what_was_expected(tmp_path, picture):
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="rank 2 or 3"):
        img_to_array(np.zeros((2, 2, 2, 2)))
    save_img(tmp_path / "a.png", picture)
    with pytest.raises(ValueError, match="color_mode"):
        load_img(tmp_path / "a.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        load_img(tmp_path / "a.png", target_size=(3, 3), interpolation="area")
    with pytest.raises(TypeError, match="io.BytesIO"):
        load_img(3)
    with pytest.raises(ValueError, match="rank 4"):
        smart_resize(np.zeros((3, 3)), (2, 2))


def test_preprocessing_image_namespace():
    assert preprocessing_image.load_img is load_img
    assert preprocessing_image.smart_resize is smart_resize
    assert sorted(preprocessing_image.__all__) == [
        "array_to_img",
        "img_to_array",
        "load_img",
        "save_img",
        "smart_resize",
    ]
