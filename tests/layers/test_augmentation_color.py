"""Tests for the colour augmentation layers and the RandAugment / AugMix compositions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.layers.harness import to_numpy
from torchseq.layers.preprocessing.aug_mix import AugMix
from torchseq.layers.preprocessing.auto_contrast import AutoContrast
from torchseq.layers.preprocessing.clahe import ContrastLimitedAdaptiveHistogramEqualization
from torchseq.layers.preprocessing.equalization import Equalization
from torchseq.layers.preprocessing.rand_augment import _OPERATIONS, RandAugment
from torchseq.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from torchseq.layers.preprocessing.random_color_jitter import RandomColorJitter
from torchseq.layers.preprocessing.random_grayscale import RandomGrayscale
from torchseq.layers.preprocessing.random_hue import RandomHue
from torchseq.layers.preprocessing.random_invert import RandomInvert
from torchseq.layers.preprocessing.random_posterization import RandomPosterization
from torchseq.layers.preprocessing.random_saturation import RandomSaturation
from torchseq.layers.preprocessing.random_sharpness import RandomSharpness
from torchseq.layers.preprocessing.solarization import Solarization

keras = pytest.importorskip("keras")

CF = {"data_format": "channels_first"}


def images(shape: tuple, seed: int = 0, high: float = 255.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, high, shape).astype("float32")


def keras_transform(layer_name: str, kwargs: dict, x: np.ndarray, transformation: object) -> np:
    layer = getattr(keras.layers, layer_name)(**kwargs)
    return to_numpy(layer.transform_images(torch.from_numpy(x), transformation, training=True))


def assert_close(actual: torch.Tensor, expected: np.ndarray, atol: float = 1e-3) -> None:
    np.testing.assert_allclose(to_numpy(actual), expected, rtol=1e-5, atol=atol)


# ----------------------------------------------- same parameters, same output as Keras

FORMATS = [({}, (3, 5, 6, 3)), (CF, (3, 3, 5, 6))]
RANGES = [(0, 255), (0, 1)]


@pytest.mark.parametrize(("fmt", "shape"), FORMATS)
def test_grayscale_matches_keras(fmt: dict, shape: tuple) -> None:
    x = images(shape)
    apply = torch.tensor([True, False, True])
    expected = keras_transform("RandomGrayscale", fmt, x, apply.reshape(-1, 1, 1, 1))
    assert_close(RandomGrayscale(**fmt)._adjust(torch.from_numpy(x), apply), expected)


@pytest.mark.parametrize(("fmt", "shape"), FORMATS)
@pytest.mark.parametrize("value_range", RANGES)
def test_hue_matches_keras(fmt: dict, shape: tuple, value_range: tuple) -> None:
    x = images(shape, high=value_range[1])
    deltas = torch.tensor([0.3, -0.45, 0.0])
    kwargs = {"factor": 0.9, "value_range": value_range, **fmt}
    expected = keras_transform("RandomHue", kwargs, x, {"factor": deltas})
    actual = RandomHue(**kwargs)._adjust(torch.from_numpy(x), deltas)
    assert_close(actual, expected, atol=1e-3 * value_range[1])


@pytest.mark.parametrize(("fmt", "shape"), FORMATS)
@pytest.mark.parametrize("value_range", RANGES)
def test_saturation_matches_keras_while_saturation_stays_in_range(
    fmt: dict, shape: tuple, value_range: tuple
) -> None:
    x = images(shape, high=value_range[1])
    factors = torch.tensor([0.0, 0.4, 1.0])
    kwargs = {"factor": 0.5, "value_range": value_range, **fmt}
    expected = keras_transform("RandomSaturation", kwargs, x, {"factor": factors})
    actual = RandomSaturation(**kwargs)._adjust(torch.from_numpy(x), factors)
    assert_close(actual, expected, atol=1e-3 * value_range[1])


def test_saturation_is_clipped_to_full_saturation() -> None:
    x = torch.tensor([[[[200.0, 100.0, 50.0]]]])
    y = RandomSaturation((1.0, 1.0))(x, training=True)
    torch.testing.assert_close(y, torch.tensor([[[[200.0, 200.0 / 3, 0.0]]]]))  # same hue
    grey = RandomSaturation((-0.5, -0.5))(x, training=True)  # as Keras: negative means grey
    torch.testing.assert_close(grey, torch.full_like(x, 200.0))


@pytest.mark.parametrize(("fmt", "shape"), FORMATS)
def test_sharpness_matches_keras(fmt: dict, shape: tuple) -> None:
    x = images(shape)
    draws = torch.tensor([0.0, 0.5, 0.9])
    kwargs = {"factor": 1.0, **fmt}
    expected = keras_transform("RandomSharpness", kwargs, x, {"factor": draws})
    assert_close(RandomSharpness(**kwargs)._adjust(torch.from_numpy(x), draws * 2), expected)


@pytest.mark.parametrize("value_range", RANGES)
def test_invert_matches_keras(value_range: tuple) -> None:
    x = images((3, 4, 5, 3), high=value_range[1])
    apply = torch.tensor([True, False, True])
    kwargs = {"value_range": value_range}
    expected = keras_transform("RandomInvert", kwargs, x, {"apply_inversion": apply})
    assert_close(RandomInvert(**kwargs)._adjust(torch.from_numpy(x), apply), expected)


def test_invert_mirrors_within_a_shifted_range() -> None:
    x = torch.tensor([[[[-1.0, 0.5, 1.0]]]])
    y = RandomInvert((1.0, 1.0), value_range=(-1, 1))(x, training=True)  # Keras 3 gives 1 - x
    torch.testing.assert_close(y, -x)


@pytest.mark.parametrize(("fmt", "shape"), FORMATS)
@pytest.mark.parametrize("value_range", RANGES)
def test_posterization_matches_keras(fmt: dict, shape: tuple, value_range: tuple) -> None:
    x = images(shape, high=value_range[1])
    bits = torch.tensor([1, 4, 8])
    kwargs = {"factor": 8, "value_range": value_range, **fmt}
    shifts = (8 - bits).to(torch.uint8)
    expected = keras_transform("RandomPosterization", kwargs, x, {"shift_factor": shifts})
    actual = RandomPosterization(**kwargs)._adjust(torch.from_numpy(x), bits)
    assert_close(actual, expected, atol=1e-5 * value_range[1])


@pytest.mark.parametrize(("fmt", "shape"), FORMATS)
def test_color_degeneration_matches_keras(fmt: dict, shape: tuple) -> None:
    x = images(shape)
    factors = torch.tensor([-0.8, 0.3, 1.0])
    kwargs = {"factor": 1.0, **fmt}
    expected = keras_transform(
        "RandomColorDegeneration", kwargs, x, {"factor": factors.reshape(-1, 1, 1, 1)}
    )
    actual = RandomColorDegeneration(**kwargs)._adjust(torch.from_numpy(x), factors)
    assert_close(actual, expected)


@pytest.mark.parametrize("value_range", RANGES)
def test_solarization_matches_keras(value_range: tuple) -> None:
    x = images((3, 4, 5, 3), high=value_range[1])
    additions, thresholds = torch.tensor([0.0, 40.0, 100.0]), torch.tensor([0.0, 128.0, 200.0])
    kwargs = {"value_range": value_range}
    transformation = {
        "additions": additions.reshape(-1, 1, 1, 1),
        "thresholds": thresholds.reshape(-1, 1, 1, 1),
    }
    expected = keras_transform("Solarization", kwargs, x, transformation)
    actual = Solarization(**kwargs)._adjust(torch.from_numpy(x), additions, thresholds)
    assert_close(actual, expected, atol=1e-4 * value_range[1])


@pytest.mark.parametrize("value_range", RANGES)
def test_auto_contrast_matches_keras_in_both_modes(value_range: tuple) -> None:
    x = images((3, 4, 5, 3), high=value_range[1])
    x[1, ..., 2] = 0.5 * value_range[1]  # a flat channel stays as it is
    reference = keras.layers.AutoContrast(value_range=value_range)
    ours = AutoContrast(value_range=value_range)
    for training in (False, True):
        expected = to_numpy(reference(x, training=training))
        assert_close(ours(torch.from_numpy(x), training=training), expected, atol=1e-5)
    np.testing.assert_allclose(to_numpy(ours(torch.from_numpy(x)))[1, ..., 2], x[1, ..., 2])


def test_auto_contrast_channels_first_stretches_each_channel() -> None:
    x = torch.from_numpy(images((2, 3, 4, 5), high=200.0))
    y = AutoContrast(**CF)(x)
    torch.testing.assert_close(y.amin(dim=(2, 3)), torch.zeros(2, 3))
    torch.testing.assert_close(y.amax(dim=(2, 3)), torch.full((2, 3), 255.0))
    torch.testing.assert_close(y, AutoContrast()(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))


@pytest.mark.filterwarnings("ignore:Tensor.T is deprecated:UserWarning")  # inside Keras
@pytest.mark.parametrize(("fmt", "shape"), [({}, (1, 6, 7, 3)), (CF, (1, 3, 6, 7))])
@pytest.mark.parametrize("value_range", RANGES)
def test_equalization_of_one_image_matches_keras(
    fmt: dict, shape: tuple, value_range: tuple
) -> None:
    x = np.round(images(shape, high=value_range[1]) * 4) / 4  # repeated values
    kwargs = {"value_range": value_range, "bins": 64, **fmt}
    expected = to_numpy(keras.layers.Equalization(**kwargs)(x, training=True))
    actual = Equalization(**kwargs)(torch.from_numpy(x), training=True)
    assert_close(actual, expected, atol=1e-4 * value_range[1])


def test_equalization_works_per_image() -> None:
    x = images((3, 5, 6, 3))
    x[2] = 7.0  # a flat image is left as it is
    layer = Equalization()
    y = layer(torch.from_numpy(x), training=True)
    for index in range(3):
        one = layer(torch.from_numpy(x[index : index + 1]), training=True)
        torch.testing.assert_close(y[index : index + 1], one)
    torch.testing.assert_close(y[2], torch.from_numpy(x[2]))
    assert float(y[0].amax()) == 255.0 and float(y[0].amin()) == 0.0


def test_color_jitter_matches_keras_with_fixed_factors() -> None:
    x = images((2, 4, 5, 3))
    kwargs = {"brightness_factor": (0.1, 0.1), "saturation_factor": (0.3, 0.3)}
    expected = to_numpy(keras.layers.RandomColorJitter(**kwargs)(x, training=True))
    actual = RandomColorJitter(**kwargs)(torch.from_numpy(x), training=True)
    assert_close(actual, expected)


# ----------------------------------------------- draws: ranges, statistics, seeds


def test_grayscale_probability() -> None:
    x = torch.from_numpy(images((2000, 1, 1, 3)))
    y = RandomGrayscale(0.3, seed=0)(x, training=True)
    grey = (y[..., 0] == y[..., 1]).flatten()
    assert abs(float(grey.float().mean()) - 0.3) < 0.04


def test_invert_probability_is_the_mean_of_its_range() -> None:
    x = torch.zeros(4000, 1, 1, 1)
    y = RandomInvert((0.2, 0.6), seed=1)(x, training=True)
    assert abs(float((y == 255).float().mean()) - 0.4) < 0.03


def test_hue_turns_by_at_most_half_the_factor_both_ways() -> None:
    x = torch.tensor([[[[1.0, 0.0, 0.0]]]]).expand(3000, 1, 1, 3)
    y = RandomHue(0.5, value_range=(0, 1), seed=2)(x, training=True)
    from torchseq.ops._image import rgb_to_hsv

    hue = rgb_to_hsv(y)[..., 0].flatten()
    turn = torch.where(hue > 0.5, hue - 1.0, hue)
    assert float(turn.abs().max()) <= 0.25 + 1e-5
    assert float(turn.min()) < -0.2 and float(turn.max()) > 0.2
    assert abs(float(turn.mean())) < 0.01


def test_posterization_bits_are_drawn_below_the_upper_bound() -> None:
    x = torch.full((3000, 1, 1, 1), 255.0)
    y = RandomPosterization((2, 5), seed=3)(x, training=True).flatten()
    kept = {int(v) for v in y.unique()}  # 255 keeping b bits is 256 - 2 ** (8 - b)
    assert kept == {256 - 2 ** (8 - bits) for bits in (2, 3, 4)}


def test_solarization_thresholds_are_drawn_in_pixel_units() -> None:
    x = torch.full((4000, 1, 1, 1), 100.0)
    y = Solarization(threshold_factor=(0.2, 0.6), seed=4)(x, training=True)
    inverted = float((y == 155.0).float().mean())  # thresholds in [51, 153] around 100
    assert abs(inverted - (100 - 51) / (153 - 51)) < 0.03


def test_saturation_and_sharpness_draws_stay_in_range() -> None:
    x = torch.from_numpy(images((500, 3, 3, 3)))
    layer = RandomSharpness((0.5, 0.5), seed=5)
    torch.testing.assert_close(layer(x, training=True), x)  # sharpness 1 keeps the image
    layer = RandomSaturation((0.5, 0.5), seed=5)
    torch.testing.assert_close(layer(x, training=True), x, atol=1e-3, rtol=1e-4)


ALL_RANDOM = [
    (RandomGrayscale, {}),
    (RandomHue, {"factor": 0.5}),
    (RandomSaturation, {"factor": 0.9}),
    (RandomSharpness, {"factor": 0.9}),
    (RandomInvert, {"factor": 0.8}),
    (RandomPosterization, {"factor": 6}),
    (RandomColorDegeneration, {"factor": 0.8}),
    (Solarization, {"addition_factor": 0.3, "threshold_factor": 0.7}),
    (RandomColorJitter, {"brightness_factor": 0.2, "contrast_factor": 0.3, "hue_factor": 0.2}),
    (RandAugment, {}),
    (AugMix, {}),
]
IDS = [cls.__name__ for cls, _ in ALL_RANDOM]
CASTS_IN_INFERENCE = (RandomSharpness, Solarization, RandAugment, AugMix)


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL_RANDOM, ids=IDS)
def test_seed_repeats_and_draws_change(layer_cls: type, kwargs: dict) -> None:
    x = torch.from_numpy(images((6, 6, 7, 3)))
    first, second = layer_cls(**kwargs, seed=9), layer_cls(**kwargs, seed=9)
    y = first(x, training=True)
    torch.testing.assert_close(y, second(x, training=True))
    assert not torch.equal(y, first(x, training=True))
    assert y.dtype == torch.float32 and y.shape == x.shape


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL_RANDOM, ids=IDS)
def test_inference_leaves_images_alone(layer_cls: type, kwargs: dict) -> None:
    x = torch.from_numpy(images((2, 4, 5, 3))).to(torch.float64)
    layer = layer_cls(**kwargs)
    y = layer(x)
    torch.testing.assert_close(y, x, check_dtype=False, atol=1e-4, rtol=0)
    expected_dtype = torch.float32 if layer_cls in CASTS_IN_INFERENCE else torch.float64
    assert y.dtype == expected_dtype


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL_RANDOM, ids=IDS)
def test_channels_first_and_unbatched(layer_cls: type, kwargs: dict) -> None:
    x = torch.from_numpy(images((3, 5, 6)))
    y = layer_cls(**kwargs, seed=2, **CF)(x, training=True)
    assert y.shape == (3, 5, 6)
    assert layer_cls(**kwargs, **CF).compute_output_shape((None, 3, 5, 6)) == (None, 3, 5, 6)


def test_channels_first_matches_channels_last_for_the_same_draws() -> None:
    x = torch.from_numpy(images((4, 5, 6, 3)))
    for layer_cls, kwargs in ALL_RANDOM[:9]:
        last = layer_cls(**kwargs, seed=3)(x, training=True)
        first = layer_cls(**kwargs, seed=3, **CF)(x.permute(0, 3, 1, 2), training=True)
        torch.testing.assert_close(first.permute(0, 2, 3, 1), last, atol=1e-3, rtol=1e-4)


def test_integer_images_come_out_in_the_layers_dtype() -> None:
    x = torch.from_numpy(images((2, 4, 5, 3))).to(torch.uint8)
    assert RandomHue(0.5)(x, training=True).dtype == torch.float32
    assert AutoContrast()(x).dtype == torch.float32
    assert RandomGrayscale(1.0)(x, training=True).dtype == torch.uint8  # as Keras: kept


# ----------------------------------------------- RandAugment and AugMix


def test_rand_augment_sets_up_its_operations_as_keras_does() -> None:
    ours = RandAugment(factor=0.6, value_range=(0, 1))
    theirs = keras.layers.RandAugment(factor=0.6, value_range=(0, 1))
    assert list(ours.operations) == list(theirs._AUGMENT_LAYERS) == list(_OPERATIONS)
    for name in ("random_brightness", "random_contrast", "random_sharpness", "random_rotation"):
        assert tuple(ours.operations[name].factor) == tuple(getattr(theirs, name).factor)
    assert ours.operations["random_posterization"].factor == (1, 4)
    assert tuple(theirs.random_posterization.factor) == (1, 4)
    assert ours.operations["solarization"].threshold_factor == (0.0, 0.6)
    assert tuple(theirs.solarization.threshold_factor) == (0.0, 0.6)


def test_rand_augment_applies_the_chosen_operations_in_order() -> None:
    x = images((1, 5, 6, 3))
    layer = RandAugment()
    choices = [_OPERATIONS.index("auto_contrast"), _OPERATIONS.index("equalization")]
    actual = layer._apply(torch.from_numpy(x), choices, None)
    stretched = keras.layers.AutoContrast()(x)
    expected = to_numpy(keras.layers.Equalization()(stretched, training=True))
    assert_close(actual, expected)


def test_rand_augment_chooses_every_operation_evenly() -> None:
    layer = RandAugment(num_ops=1, seed=0)
    from torchseq.layers.preprocessing._augmentation_ops import choose

    counts = np.bincount(choose(11000, len(_OPERATIONS), layer), minlength=len(_OPERATIONS))
    assert counts.min() > 850 and counts.max() < 1150


def test_aug_mix_mixes_the_chains_with_its_weights() -> None:
    x = images((2, 5, 6, 3))
    layer = AugMix(value_range=(0, 255))
    identity = layer._apply(torch.from_numpy(x), [[], []], [0.25, 0.75], 0.3, None)
    assert_close(identity, x, atol=1e-4)
    stretched = to_numpy(keras.layers.AutoContrast()(x))
    mixed = layer._apply(torch.from_numpy(x), [["auto_contrast"], []], [0.25, 0.75], 0.3, None)
    assert_close(mixed, 0.3 * x + 0.7 * (0.25 * stretched + 0.75 * x), atol=1e-3)


def test_aug_mix_weights_form_a_mixture() -> None:
    layer = AugMix(num_chains=4, alpha=0.5, seed=1)
    draws = [layer._mixing_weights() for _ in range(400)]
    weights = np.array([w for w, _ in draws])
    mixes = np.array([m for _, m in draws])
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    assert weights.shape == (400, 4) and (weights >= 0).all()
    assert 0 <= mixes.min() and mixes.max() <= 1 and abs(mixes.mean() - 0.5) < 0.05
    assert AugMix(seed=1)._mixing_weights() == AugMix(seed=1)._mixing_weights()


def test_aug_mix_without_all_ops_keeps_colour_balance_operations_out() -> None:
    assert list(AugMix(all_ops=False).operations) == [
        "random_shear",
        "random_translation",
        "random_rotation",
        "random_posterization",
        "solarization",
        "auto_contrast",
        "equalization",
    ]
    assert len(AugMix().operations) == 11


# ----------------------------------------------- configs and errors

CONFIG_CASES = [
    (RandomGrayscale, {"factor": 0.2, **CF}),
    (RandomHue, {"factor": (0.1, 0.4), "value_range": (0, 1), "seed": 3}),
    (RandomSaturation, {"factor": 0.7}),
    (RandomSharpness, {"factor": (0.2, 0.9), "value_range": (-1, 1)}),
    (RandomInvert, {"factor": 0.4}),
    (RandomPosterization, {"factor": (2, 6)}),
    (RandomColorDegeneration, {"factor": 0.5}),
    (Solarization, {"addition_factor": 0.2, "threshold_factor": (0.3, 0.9)}),
    (AutoContrast, {"value_range": (0, 1)}),
    (Equalization, {"bins": 128, **CF}),
    (RandomColorJitter, {"brightness_factor": 0.1, "hue_factor": (0.1, 0.2), "seed": 1}),
    (RandAugment, {"num_ops": 3, "factor": 0.3, "interpolation": "nearest", "seed": 1}),
    (AugMix, {"num_chains": 2, "chain_depth": 4, "alpha": 0.5, "all_ops": False}),
    (
        ContrastLimitedAdaptiveHistogramEqualization,
        {"clip_limit": 2.0, "tile_grid_size": (2, 3), "value_range": (0, 1)},
    ),
]


@pytest.mark.parametrize(("layer_cls", "kwargs"), CONFIG_CASES, ids=lambda v: str(v)[:30])
def test_config_round_trips_and_exchanges_with_keras(layer_cls: type, kwargs: dict) -> None:
    layer = layer_cls(**kwargs)
    config = json.loads(json.dumps(layer.get_config()))
    clone = layer_cls.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    theirs = getattr(keras.layers, layer_cls.__name__).from_config(config)
    back = layer_cls.from_config(json.loads(json.dumps(theirs.get_config())))
    for key, value in json.loads(json.dumps(back.get_config())).items():
        if key != "name":
            assert value == config[key], key


def test_keras_saturation_config_loads() -> None:
    stored = keras.layers.RandomSaturation(0.2).get_config()
    assert RandomSaturation.from_config(stored).factor == (-0.2, 0.2)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: RandomGrayscale(1.5), ValueError, r"factor must be a number in \[0, 1\].*1.5"),
        (lambda: RandomGrayscale("a"), TypeError, "received: factor='a'"),
        (lambda: RandomHue(-0.1), ValueError, r"RandomHue: factor .*\[0.0, 1.0\].*-0.1"),
        (lambda: RandomHue((0.1, 0.2, 0.3)), ValueError, "pair of numbers"),
        (lambda: RandomSaturation(2.0), ValueError, "factor=2.0"),
        (lambda: RandomSharpness(0.5, value_range=(1,)), ValueError, "value_range"),
        (lambda: RandomInvert(None), TypeError, "factor=None"),
        (lambda: RandomPosterization(9), ValueError, r"ints in \[1, 8\].*factor=9"),
        (lambda: RandomPosterization(2.5), TypeError, "factor=2.5"),
        (lambda: RandomColorDegeneration(1.5), ValueError, "factor=1.5"),
        (lambda: Solarization(threshold_factor=2), ValueError, "threshold_factor=2"),
        (lambda: Equalization(bins=0), ValueError, "bins must be a positive int.*bins=0"),
        (lambda: Equalization(bins=2.0), TypeError, "bins=2.0"),
        (lambda: RandomColorJitter(hue_factor=3), ValueError, "hue_factor is invalid"),
        (lambda: RandAugment(num_ops=-1), ValueError, "num_ops must be an int >= 0"),
        (lambda: RandAugment(interpolation="cubic"), ValueError, "'bilinear', 'nearest'"),
        (lambda: AugMix(alpha=0), ValueError, "alpha must be a number > 0"),
        (lambda: AugMix(num_chains=0), ValueError, "num_chains must be an int >= 1"),
        (lambda: AugMix(all_ops=1), TypeError, "all_ops must be a bool"),
        (lambda: RandomHue(0.1, seed=1.5), TypeError, "seed must be an int"),
        (
            lambda: ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 2)),
            ValueError,
            r"tile_grid_size must be a pair of positive ints.*\(0, 2\)",
        ),
        (
            lambda: ContrastLimitedAdaptiveHistogramEqualization(clip_limit="4"),
            TypeError,
            "clip_limit must be a number",
        ),
    ],
)
def test_argument_errors(build: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        build()  # type: ignore[operator]


def test_colour_layers_need_three_channels() -> None:
    x = torch.rand(2, 4, 4, 1)
    for layer in (RandomHue(0.2), RandomSaturation(0.2), RandomColorDegeneration(0.2)):
        with pytest.raises(ValueError, match="expected RGB images with 3 channels, received: 1"):
            layer(x, training=True)
    with pytest.raises(ValueError, match="3 channels, received: 4"):
        RandomColorDegeneration(0.2).compute_output_shape((None, 5, 5, 4))


# ----------------------------------------------- ContrastLimitedAdaptiveHistogramEqualization


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((2, 12, 16, 3), {"tile_grid_size": (3, 4), "clip_limit": 0.0}),
        ((1, 16, 16, 1), {"tile_grid_size": (4, 4), "clip_limit": 16.0}),  # 1 pixel per bin
        (
            (1, 2, 8, 12),
            {"tile_grid_size": (2, 3), "clip_limit": 32.0, "value_range": (0, 1), **CF},
        ),
    ],
)
def test_clahe_matches_keras_in_both_modes(shape: tuple, kwargs: dict) -> None:
    high = kwargs.get("value_range", (0, 255))[1]
    x = images(shape, high=high)
    reference = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    ours = ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    for training in (False, True):
        expected = to_numpy(reference(x, training=training))
        assert_close(ours(torch.from_numpy(x), training=training), expected, atol=1e-3 * high)


def test_clahe_pads_by_mirroring() -> None:
    # The mirrored image has whole tiles; the result on the original is its top-left part.
    x = images((1, 7, 10, 2))
    mirrored = np.pad(x, [(0, 0), (0, 1), (0, 2), (0, 0)], mode="symmetric")
    layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 3), clip_limit=2.0)
    whole = layer(torch.from_numpy(mirrored))
    torch.testing.assert_close(layer(torch.from_numpy(x)), whole[:, :7, :10])
    reference = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(
        tile_grid_size=(2, 3), clip_limit=0.0
    )
    assert_close(
        ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 3), clip_limit=0.0)(
            torch.from_numpy(mirrored)
        ),
        to_numpy(reference(mirrored)),
    )


def test_clahe_clip_limit_tames_the_stretch_and_keeps_dtype() -> None:
    x = torch.from_numpy(images((1, 16, 16, 1), high=40.0) + 100.0)  # a narrow band
    free = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2), clip_limit=0.0)
    tight = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2), clip_limit=1.0)
    assert float(free(x).std()) > 3 * float(tight(x).std())
    assert tight(x.to(torch.uint8)).dtype == torch.uint8
    unbatched = ContrastLimitedAdaptiveHistogramEqualization(**CF)(x[0].permute(2, 0, 1))
    assert unbatched.shape == (1, 16, 16)
