"""Tests for the image augmentation layers (torchseq.layers.preprocessing.random_*)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy
from torchseq.layers.input_layer import Input
from torchseq.layers.preprocessing.random_brightness import RandomBrightness
from torchseq.layers.preprocessing.random_contrast import RandomContrast
from torchseq.layers.preprocessing.random_crop import RandomCrop
from torchseq.layers.preprocessing.random_flip import RandomFlip
from torchseq.layers.preprocessing.random_rotation import RandomRotation
from torchseq.layers.preprocessing.random_translation import RandomTranslation
from torchseq.layers.preprocessing.random_zoom import RandomZoom
from torchseq.ops.image import resize

keras = pytest.importorskip("keras")

CF = {"data_format": "channels_first"}
GEOMETRIC = ("reflect", "wrap", "constant", "nearest")


def images(shape: tuple, seed: int = 0, high: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, high, shape).astype("float32")


# Inference mode (the default outside fit): Keras's result, shapes, configs both ways.
CASES = [
    LayerCase(RandomFlip, {}, (2, 5, 6, 3)),
    LayerCase(RandomFlip, {"mode": "vertical", "seed": 1, **CF}, (2, 3, 5, 6)),
    LayerCase(RandomRotation, {"factor": 0.2}, (2, 5, 6, 3)),
    LayerCase(
        RandomRotation,
        {"factor": (-0.1, 0.3), "fill_mode": "constant", "fill_value": 2.0, "seed": 3, **CF},
        (2, 3, 5, 6),
    ),
    LayerCase(RandomZoom, {"height_factor": 0.2}, (2, 5, 6, 3)),
    LayerCase(
        RandomZoom,
        {"height_factor": (-0.3, 0.2), "width_factor": 0.5, "interpolation": "nearest"},
        (2, 5, 6, 3),
    ),
    LayerCase(RandomTranslation, {"height_factor": 0.1, "width_factor": (-0.2, 0.3)}, (2, 5, 6, 3)),
    LayerCase(RandomCrop, {"height": 5, "width": 6, "seed": 7}, (2, 5, 6, 3)),
    LayerCase(RandomContrast, {"factor": 0.3}, (2, 5, 6, 3)),
    LayerCase(RandomContrast, {"factor": (0.1, 0.5), "value_range": (0, 1), **CF}, (2, 3, 5, 6)),
    LayerCase(RandomBrightness, {"factor": 0.2}, (2, 5, 6, 3)),
    LayerCase(RandomBrightness, {"factor": (-0.5, 0.1), "value_range": (-1, 1)}, (2, 5, 6, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inference_matches_keras_and_round_trips(case: LayerCase) -> None:
    check_layer(case)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inference_is_identity_and_training_changes(case: LayerCase) -> None:
    x = torch.from_numpy(images(case.input_shape, high=0.9))
    layer = case.layer_cls(**case.kwargs)
    assert torch.equal(layer(x), x)
    assert torch.equal(layer(x, training=False), x)
    if case.layer_cls is not RandomCrop:  # RandomCrop of a same-size image is the identity
        layer = case.layer_cls(**{**case.kwargs, "seed": 11})
        assert not torch.equal(layer(x, training=True), x)


def test_training_mode_of_the_layer_turns_augmentation_on() -> None:
    x = torch.from_numpy(images((8, 4, 4, 1)))
    layer = RandomFlip("horizontal", seed=0)
    layer.train()
    assert not torch.equal(layer(x), x)
    assert torch.equal(layer(x, training=False), x)  # an explicit flag wins
    layer.eval()
    assert torch.equal(layer(x), x)


# -------------------------------------------------------------------- RandomFlip


@pytest.mark.parametrize(
    ("mode", "axes"),
    [
        ("horizontal", [(2,)]),
        ("vertical", [(1,)]),
        ("horizontal_and_vertical", [(1,), (2,), (1, 2)]),
    ],
)
def test_flip_gives_torch_flips(mode: str, axes: list) -> None:
    x = torch.from_numpy(images((64, 3, 4, 2)))
    y = RandomFlip(mode, seed=0)(x, training=True)
    outcomes = []
    for original, flipped in zip(x, y):
        choices = [original] + [original.flip([a - 1 for a in ax]) for ax in axes]
        matches = [index for index, c in enumerate(choices) if torch.equal(c, flipped)]
        assert matches, "every output is the image or one of its flips"
        outcomes.append(matches[0])
    assert set(outcomes) == set(range(len(axes) + 1)), "every outcome occurs in 64 images"


def test_flip_channels_first_flips_the_width_axis() -> None:
    x = torch.from_numpy(images((32, 2, 3, 4)))
    y = RandomFlip("horizontal", seed=1, **CF)(x, training=True)
    flipped = torch.tensor([torch.equal(b, a.flip(-1)) for a, b in zip(x, y)])
    same = torch.tensor([torch.equal(b, a) for a, b in zip(x, y)])
    assert bool((flipped | same).all()) and flipped.any() and same.any()


def test_flip_rate_is_one_half() -> None:
    x = torch.arange(2.0).reshape(1, 1, 2, 1).expand(4000, 1, 2, 1)
    y = RandomFlip("horizontal", seed=2)(x, training=True)
    rate = float((y[:, 0, 0, 0] == 1).float().mean())
    assert abs(rate - 0.5) < 0.03


# -------------------------------------------------------------------- geometry vs Keras


def test_quarter_turn_of_a_square_image_is_rot90() -> None:
    x = torch.from_numpy(images((2, 5, 5, 3)))
    for interpolation in ("nearest", "bilinear"):
        layer = RandomRotation((0.25, 0.25), interpolation=interpolation)
        expected = torch.rot90(x, k=1, dims=(1, 2))
        torch.testing.assert_close(layer(x, training=True), expected, rtol=1e-4, atol=1e-5)
    half = RandomRotation((0.5, 0.5), interpolation="nearest")(x, training=True)
    torch.testing.assert_close(half, torch.rot90(x, k=2, dims=(1, 2)))


def _pinned(layer_name: str, fill_mode: str, interpolation: str) -> tuple[type, dict]:
    common = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 0.5}
    return {
        "RandomRotation": (RandomRotation, {"factor": (0.1, 0.1), **common}),
        "RandomZoom": (RandomZoom, {"height_factor": (0.3, 0.3), "width_factor": (-0.2, -0.2)}),
        "RandomZoomOut": (RandomZoom, {"height_factor": (0.7, 0.7), **common}),
        "RandomTranslation": (
            RandomTranslation,
            {"height_factor": (0.24, 0.24), "width_factor": (-0.6, -0.6), **common},
        ),
    }[layer_name]


@pytest.mark.parametrize("fill_mode", GEOMETRIC)
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize(
    "name", ["RandomRotation", "RandomZoom", "RandomZoomOut", "RandomTranslation"]
)
def test_pinned_transform_matches_keras(name: str, fill_mode: str, interpolation: str) -> None:
    layer_cls, kwargs = _pinned(name, fill_mode, interpolation)
    kwargs = {**kwargs, "fill_mode": fill_mode, "interpolation": interpolation}
    x = images((2, 7, 9, 3))
    expected = to_numpy(getattr(keras.layers, layer_cls.__name__)(**kwargs)(x, training=True))
    actual = to_numpy(layer_cls(**kwargs)(torch.from_numpy(x), training=True))
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def test_pinned_transform_matches_keras_channels_first_and_unbatched() -> None:
    kwargs = {"factor": (-0.15, -0.15), "fill_mode": "constant", **CF}
    x = images((3, 6, 8))
    expected = to_numpy(keras.layers.RandomRotation(**kwargs)(x, training=True))
    actual = RandomRotation(**kwargs)(torch.from_numpy(x), training=True)
    assert actual.shape == (3, 6, 8)
    np.testing.assert_allclose(to_numpy(actual), expected, rtol=1e-4, atol=1e-5)


def test_translation_moves_content_by_whole_pixels() -> None:
    x = torch.from_numpy(images((1, 6, 8, 1)))
    layer = RandomTranslation((2 / 6, 2 / 6), (-0.25, -0.25), fill_mode="constant")
    y = layer(x, training=True)
    torch.testing.assert_close(y[:, 2:, :6], x[:, :4, 2:])
    assert float(y[:, :2].abs().max()) < 1e-6 and float(y[:, :, 6:].abs().max()) < 1e-6


def test_random_angles_stay_in_range_and_spread() -> None:
    layer = RandomRotation((-0.1, 0.2), seed=4)
    matrices = layer._matrices(
        2000, 5, 5, torch.device("cpu"), layer._generator(torch.device("cpu"))
    )
    degrees = torch.rad2deg(torch.atan2(matrices[:, 3], matrices[:, 0]))
    assert float(degrees.min()) >= -36.0 and float(degrees.max()) <= 72.0
    assert abs(float(degrees.mean()) - 18.0) < 2.0


# -------------------------------------------------------------------- RandomCrop


def test_crop_in_training_takes_one_window_for_the_batch() -> None:
    x = torch.from_numpy(images((3, 8, 9, 2)))
    y = RandomCrop(4, 5, seed=0)(x, training=True)
    assert y.shape == (3, 4, 5, 2)
    windows = [
        (top, left)
        for top in range(5)
        for left in range(5)
        if torch.equal(x[:, top : top + 4, left : left + 5], y)
    ]
    assert len(windows) == 1
    positions = {
        tuple(RandomCrop(4, 5, seed=s)(x[:1], training=True)[0, 0, 0].tolist()) for s in range(12)
    }
    assert len(positions) > 3, "different seeds crop different windows"


def test_crop_in_inference_resizes_the_centre() -> None:
    x = torch.from_numpy(images((2, 8, 6, 3)))
    layer = RandomCrop(4, 4)
    expected = resize(x, (4, 4), crop_to_aspect_ratio=True)
    torch.testing.assert_close(layer(x), expected)
    small = torch.from_numpy(images((2, 3, 6, 3)))
    torch.testing.assert_close(
        layer(small, training=True), resize(small, (4, 4), crop_to_aspect_ratio=True)
    )


def test_crop_channels_first_unbatched_and_symbolic() -> None:
    layer = RandomCrop(3, 2, **CF)
    assert layer(torch.ones(4, 5, 6), training=True).shape == (4, 3, 2)
    assert layer(torch.ones(4, 5, 6)).shape == (4, 3, 2)
    assert tuple(RandomCrop(3, 2)(Input((8, 8, 3))).shape) == (None, 3, 2, 3)


# -------------------------------------------------------------------- color layers


def test_contrast_matches_keras_for_the_same_factors() -> None:
    x = images((3, 4, 5, 2), high=255.0)
    factors = np.array([0.5, 1.0, 1.7], dtype="float32")
    reference = keras.layers.RandomContrast(0.5)
    expected = reference.transform_images(
        torch.from_numpy(x),
        {"contrast_factor": torch.from_numpy(factors).reshape(-1, 1, 1, 1)},
        training=True,
    )
    actual = RandomContrast(0.5)._adjust(torch.from_numpy(x), torch.from_numpy(factors))
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), rtol=1e-4, atol=1e-4)


def test_contrast_factors_cover_one_minus_to_one_plus() -> None:
    layer = RandomContrast(0.4, seed=0)
    x = torch.tensor([[100.0], [150.0]]).reshape(1, 2, 1, 1).expand(3000, 2, 1, 1)
    y = layer(x, training=True)
    factors = (y[:, 1, 0, 0] - y[:, 0, 0, 0]) / 50.0
    assert float(factors.min()) >= 0.6 - 1e-5 and float(factors.max()) <= 1.4 + 1e-5
    assert float(factors.min()) < 0.65 and float(factors.max()) > 1.35


def test_brightness_matches_keras_with_a_pinned_factor() -> None:
    x = images((2, 4, 5, 3))
    kwargs = {"factor": (0.3, 0.3), "value_range": (0, 1)}
    expected = keras.layers.RandomBrightness(**kwargs)(x, training=True)
    actual = RandomBrightness(**kwargs)(torch.from_numpy(x), training=True)
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), rtol=1e-4, atol=1e-6)
    assert float(actual.min()) >= 0.3 - 1e-6 and float(actual.max()) == 1.0


def test_brightness_of_integer_images_saturates_in_their_dtype() -> None:
    x = torch.tensor([0, 10, 200, 250], dtype=torch.uint8).reshape(1, 2, 2, 1)
    darker = RandomBrightness((-0.1, -0.1))(x, training=True)
    brighter = RandomBrightness((0.1, 0.1))(x, training=True)
    assert darker.dtype == brighter.dtype == torch.uint8
    assert darker.flatten().tolist() == [0, 0, 174, 224]
    assert brighter.flatten().tolist() == [26, 36, 226, 255]


# -------------------------------------------------------------------- seeds, dtypes, shapes

ALL = [
    (RandomFlip, {}),
    (RandomRotation, {"factor": 0.3}),
    (RandomZoom, {"height_factor": 0.3, "width_factor": 0.2}),
    (RandomTranslation, {"height_factor": 0.2, "width_factor": 0.2}),
    (RandomCrop, {"height": 3, "width": 4}),
    (RandomContrast, {"factor": 0.5}),
    (RandomBrightness, {"factor": 0.3}),
]
IDS = [cls.__name__ for cls, _ in ALL]


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL, ids=IDS)
def test_seed_makes_runs_repeatable(layer_cls: type, kwargs: dict) -> None:
    x = torch.from_numpy(images((6, 6, 7, 3), high=255.0))
    first, second = layer_cls(**kwargs, seed=5), layer_cls(**kwargs, seed=5)
    a1, a2 = first(x, training=True), first(x, training=True)
    b1, b2 = second(x, training=True), second(x, training=True)
    assert torch.equal(a1, b1) and torch.equal(a2, b2)
    if layer_cls is not RandomCrop:
        assert not torch.equal(a1, a2), "successive draws differ"
    torch.manual_seed(0)
    c = layer_cls(**kwargs)(x, training=True)
    torch.manual_seed(0)
    assert torch.equal(layer_cls(**kwargs)(x, training=True), c), "unseeded: torch's global seed"


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL, ids=IDS)
def test_shapes_unbatched_and_symbolic(layer_cls: type, kwargs: dict) -> None:
    layer = layer_cls(**kwargs, seed=0)
    expected = (3, 4, 3) if layer_cls is RandomCrop else (6, 7, 3)
    assert layer(torch.rand(6, 7, 3), training=True).shape == expected
    assert layer(torch.rand(6, 7, 3)).shape == expected
    assert layer(torch.rand(2, 6, 7, 3), training=True).shape == (2, *expected)
    assert tuple(layer_cls(**kwargs)(Input((6, 7, 3))).shape) == (None, *expected)
    assert layer.compute_output_shape((None, 6, 7, 3)) == (None, *expected)


GEOMETRY_IDS = ["RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop"]


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL[:5], ids=GEOMETRY_IDS)
def test_geometric_layers_output_the_layer_dtype(layer_cls: type, kwargs: dict) -> None:
    x = torch.randint(0, 256, (2, 6, 7, 3), dtype=torch.uint8)
    for training in (False, True):
        y = layer_cls(**kwargs, seed=0)(x, training=training)
        assert y.dtype == torch.float32
    doubles = layer_cls(**kwargs, seed=0, dtype="float64")(x.double(), training=True)
    assert doubles.dtype == torch.float64


def test_color_layers_keep_dtypes_as_keras_does() -> None:
    x = torch.randint(0, 256, (2, 6, 7, 3), dtype=torch.uint8)
    contrast, brightness = RandomContrast(0.5, seed=0), RandomBrightness(0.3, seed=0)
    assert contrast(x).dtype == brightness(x).dtype == torch.uint8
    assert contrast(x, training=True).dtype == torch.float32
    assert brightness(x, training=True).dtype == torch.uint8
    assert contrast(x.double(), training=True).dtype == torch.float64
    assert brightness(x.half(), training=True).dtype == torch.float16


def test_numpy_inputs_are_accepted() -> None:
    x = images((2, 5, 5, 3))
    assert RandomRotation(0.1, seed=0)(x, training=True).shape == (2, 5, 5, 3)


def test_keras_configs_load() -> None:
    for layer_cls, kwargs in ALL:
        reference = getattr(keras.layers, layer_cls.__name__)(**kwargs)
        ours = layer_cls.from_config(reference.get_config())
        assert ours.get_config()["data_format"] == "channels_last"
    contrast = RandomContrast.from_config(keras.layers.RandomContrast(0.2).get_config())
    assert contrast.factor == (0.0, 0.2), "Keras stores a single factor f as (0, f)"


# -------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: RandomFlip("diagonal"), ValueError, r"mode must be one of \['horizontal'"),
        (
            lambda: RandomFlip(seed=1.5),
            TypeError,
            "seed must be an int or None, received: seed=1.5",
        ),
        (lambda: RandomFlip(data_format="nhwc"), ValueError, "RandomFlip: data_format must be"),
        (
            lambda: RandomRotation(1.5),
            ValueError,
            r"factor must be .* in \[-1.0, 1.0\], received: factor=1.5",
        ),
        (lambda: RandomRotation((0.1, 0.2, 0.3)), ValueError, "received: factor=.0.1, 0.2, 0.3."),
        (lambda: RandomRotation("big"), TypeError, "received: factor='big'"),
        (
            lambda: RandomRotation(0.1, fill_mode="mirror"),
            ValueError,
            r"fill_mode must be one of \['reflect'",
        ),
        (
            lambda: RandomRotation(0.1, interpolation="bicubic"),
            ValueError,
            "interpolation must be one of",
        ),
        (lambda: RandomRotation(0.1, fill_value="k"), TypeError, "fill_value must be a number"),
        (lambda: RandomZoom(-1.0), ValueError, r"height_factor must be .* in \(-1.0, 1.0\]"),
        (lambda: RandomZoom(0.1, width_factor=(0.1, 2)), ValueError, "received: width_factor="),
        (lambda: RandomTranslation(0.1, -1.5), ValueError, "width_factor must be"),
        (
            lambda: RandomCrop(0, 3),
            ValueError,
            "height must be a positive integer, received: height=0",
        ),
        (
            lambda: RandomCrop(3, 2.5),
            ValueError,
            "width must be a positive integer, received: width=2.5",
        ),
        (lambda: RandomContrast(1.5), ValueError, "factor must be a number in .0, 1."),
        (lambda: RandomContrast((-0.5, 0.2)), ValueError, "lower in .0, 1."),
        (lambda: RandomBrightness(0.1, value_range=5), ValueError, "value_range must be a pair"),
    ],
)
def test_argument_errors(make, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_rank_errors_name_the_layer_and_shape() -> None:
    with pytest.raises(ValueError, match=r"expected a 3-D image or a 4-D batch .* shape=\(2, 3\)"):
        RandomFlip()(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"shape=\(None, 5\)"):
        RandomZoom(0.1)(Input((5,)))


# -------------------------------------------------------------------- in a model


def test_sequential_with_augmentation_trains_and_predicts_deterministically() -> None:
    import torchseq as ts

    torch.manual_seed(0)
    model = ts.Sequential(
        [
            Input((8, 8, 3)),
            RandomFlip("horizontal", seed=1),
            RandomRotation(0.1, seed=2),
            RandomZoom(0.1, seed=3),
            RandomTranslation(0.1, 0.1, seed=4),
            RandomContrast(0.2, value_range=(0, 1), seed=5),
            RandomBrightness(0.1, value_range=(0, 1), seed=6),
            RandomCrop(6, 6, seed=7),
            ts.layers.Flatten(),
            ts.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = images((32, 8, 8, 3))
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, model.predict(x, verbose=0))
    assert first.shape == (32, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL, ids=IDS)
def test_cuda_runs_on_the_device_and_repeats(layer_cls: type, kwargs: dict) -> None:
    x = torch.from_numpy(images((4, 6, 7, 3), high=255.0)).cuda()
    first = layer_cls(**kwargs, seed=3)(x, training=True)
    assert first.device == x.device
    torch.testing.assert_close(first, layer_cls(**kwargs, seed=3)(x, training=True))
    pinned = RandomRotation((0.1, 0.1), fill_mode="wrap")
    torch.testing.assert_close(
        pinned(x, training=True).cpu(), pinned(x.cpu(), training=True), rtol=1e-4, atol=1e-3
    )
