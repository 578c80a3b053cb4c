"""Tests for the geometric and mixing augmentation layers: RandomShear, RandomPerspective,
RandomErasing, RandomGaussianBlur, RandomElasticTransform, MixUp, CutMix."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import as_stored, to_numpy
from torchseq.layers.input_layer import Input
from torchseq.layers.preprocessing.cut_mix import CutMix
from torchseq.layers.preprocessing.mix_up import MixUp
from torchseq.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from torchseq.layers.preprocessing.random_erasing import RandomErasing
from torchseq.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from torchseq.layers.preprocessing.random_perspective import (
    RandomPerspective,
    homography_matrices,
)
from torchseq.layers.preprocessing.random_shear import RandomShear, shear_matrices

keras = pytest.importorskip("keras")

CF = {"data_format": "channels_first"}
CPU = torch.device("cpu")


def images(shape: tuple, seed: int = 0, high: float = 255.0) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).uniform(0, high, shape).astype("float32"))


def assert_close(actual: torch.Tensor, expected: torch.Tensor, atol: float = 1e-3) -> None:
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), rtol=1e-4, atol=atol)


# ---------------------------------------------------------- Keras parity, pinned parameters


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_shear_matches_keras_for_the_same_factors(fill_mode: str, interpolation: str) -> None:
    x = images((3, 6, 7, 2))
    factors = torch.tensor([[0.31, -0.23], [-0.47, 0.13], [0.0, 0.61]])  # no ties to round
    kwargs = {"fill_mode": fill_mode, "interpolation": interpolation, "fill_value": 7.0}
    reference = keras.layers.RandomShear(0.5, 0.5, **kwargs)
    expected = reference.transform_images(x, {"shear_factor": factors}, training=True)
    layer = RandomShear(0.5, 0.5, **kwargs)
    actual = layer._apply_matrices(x, shear_matrices(factors[:, 0], factors[:, 1]))
    assert_close(actual, expected)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_perspective_matches_keras_for_the_same_corners(
    interpolation: str, data_format: str
) -> None:
    shape = (2, 6, 7, 3) if data_format == "channels_last" else (2, 3, 6, 7)
    x = images(shape)
    corners = torch.tensor([[0.0, 0.0], [6.0, 0.0], [0.0, 5.0], [6.0, 5.0]]).expand(2, 4, 2)
    moves = torch.from_numpy(np.random.default_rng(1).uniform(-0.3, 0.3, (2, 4, 2)))
    ends = corners + corners * moves.float()
    kwargs = {"interpolation": interpolation, "fill_value": 3.0, "data_format": data_format}
    reference = keras.layers.RandomPerspective(**kwargs)
    transformation = {
        "apply_perspective": torch.tensor([True, False]),
        "start_points": corners,
        "end_points": ends,
    }
    expected = reference.transform_images(x, transformation, training=True)
    layer = RandomPerspective(**kwargs)
    warped = layer._apply_matrices(x, homography_matrices(corners, ends))
    assert_close(warped[0], expected[0], atol=2e-3)
    assert torch.equal(to_numpy_tensor(expected[1]), x[1])


def to_numpy_tensor(value: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(to_numpy(value))


@pytest.mark.parametrize("kernel_size", [3, 5])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_gaussian_blur_matches_keras_for_the_same_sigmas(
    kernel_size: int, data_format: str
) -> None:
    shape = (2, 6, 7, 3) if data_format == "channels_last" else (2, 3, 6, 7)
    x = images(shape)
    sigma_x, sigma_y = 0.4, 0.9
    kwargs = {"kernel_size": kernel_size, "value_range": (0, 200), "data_format": data_format}
    reference = keras.layers.RandomGaussianBlur(**kwargs)
    transformation = {
        "should_apply_blur": torch.tensor([True, False]),
        "blur_factor": torch.tensor([sigma_x, sigma_y]),
    }
    expected = reference.transform_images(x, transformation, training=True)
    layer = RandomGaussianBlur(**kwargs)
    actual = layer._blur(
        x, torch.tensor([True, False]), torch.full((2,), sigma_y), torch.full((2,), sigma_x)
    )
    assert_close(actual, expected)
    assert float(actual.max()) == 200.0, "training clips to value_range"


@pytest.mark.parametrize(
    ("fill_mode", "interpolation"),
    [
        ("reflect", "bilinear"),
        ("mirror", "bilinear"),
        ("constant", "nearest"),
        ("wrap", "bilinear"),
    ],
)
def test_elastic_transform_matches_keras_for_the_same_noise(
    fill_mode: str, interpolation: str
) -> None:
    x = images((2, 12, 10, 2))
    kwargs = {"interpolation": interpolation, "fill_mode": fill_mode, "fill_value": 9.0}
    reference = keras.layers.RandomElasticTransform(scale=0.7, **kwargs)
    transformation = {
        "apply_transform": torch.tensor([True, True]),
        "distortion_factor": torch.tensor(0.7),
        "seed": None,
    }
    torch.manual_seed(3)  # Keras's torch backend draws the noise from the global generator
    expected = reference.transform_images(x, transformation, training=True)
    layer = RandomElasticTransform(scale=(0.7, 0.7), **kwargs)
    torch.manual_seed(3)
    actual = layer._distort(x, torch.tensor([True, True]), torch.full((2,), 0.7), None)
    assert not torch.allclose(actual, x)
    assert_close(actual, expected, atol=2e-3)


def test_mix_up_matches_keras_for_the_same_weights_and_permutation() -> None:
    x, labels = images((4, 3, 5, 2)), torch.eye(4)[[0, 1, 2, 1]]
    permutation, shares = torch.tensor([2, 0, 3, 1]), torch.tensor([0.9, 0.2, 0.5, 1.0])
    transformation = {"permutation_order": permutation, "mix_weight": shares}
    reference = keras.layers.MixUp()
    expected_images = reference.transform_images(x, transformation, training=True)
    expected_labels = reference.transform_labels(labels, transformation, training=True)
    layer = MixUp()
    layer._mix = lambda images, generator: (  # type: ignore[method-assign]
        layer._blend(images, permutation, shares),
        permutation,
        shares,
    )
    outputs = layer({"images": x, "labels": labels, "other": "kept"}, training=True)
    assert_close(outputs["images"], expected_images)
    assert_close(outputs["labels"], expected_labels, atol=1e-6)
    assert outputs["other"] == "kept"


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cut_mix_matches_keras_for_the_same_boxes_and_permutation(data_format: str) -> None:
    shape = (3, 6, 7, 2) if data_format == "channels_last" else (3, 2, 6, 7)
    x, labels = images(shape), torch.eye(3)
    layer = CutMix(data_format=data_format)
    ratios = torch.tensor([0.5, 0.8, 0.3])
    torch.manual_seed(0)
    boxes, areas = layer._boxes(ratios, ratios, 6, 7, None)
    permutation = torch.tensor([1, 2, 0])
    transformation = {
        "permutation_order": permutation,
        "batch_masks": boxes.expand(shape),
        "mix_weight": 1 - areas,
    }
    reference = keras.layers.CutMix(data_format=data_format)
    expected_images = reference.transform_images(x, transformation, training=True)
    expected_labels = reference.transform_labels(labels, transformation, training=True)
    layer._mix = lambda images, generator: (  # type: ignore[method-assign]
        layer._paste(images, permutation, boxes),
        permutation,
        1 - areas,
    )
    outputs = layer({"images": x, "labels": labels}, training=True)
    assert_close(outputs["images"], expected_images)
    assert_close(outputs["labels"], expected_labels, atol=1e-6)


# ---------------------------------------------------------- draws: ranges and rates


def test_shear_factors_stay_in_range_with_random_signs() -> None:
    layer = RandomShear((0.1, 0.3), (0.2, 0.4), seed=0)
    matrices = layer._matrices(4000, 5, 5, CPU, layer._generator(CPU))
    shear_x, shear_y = matrices[:, 1], matrices[:, 3]
    assert torch.equal(torch.sign(shear_x), torch.sign(shear_y)), "one sign per image"
    assert 0.1 <= float(shear_x.abs().min()) and float(shear_x.abs().max()) <= 0.3
    assert 0.2 <= float(shear_y.abs().min()) and float(shear_y.abs().max()) <= 0.4
    assert abs(float((shear_x < 0).float().mean()) - 0.5) < 0.03
    assert float(shear_x.abs().max()) > 0.29 and float(shear_y.abs().min()) < 0.21


def test_perspective_keeps_the_origin_and_moves_corners_by_at_most_half_the_scale() -> None:
    layer = RandomPerspective(scale=0.4, seed=0)
    matrices = layer._matrices(500, 6, 9, CPU, layer._generator(CPU))
    assert torch.allclose(matrices[:, 2], torch.zeros(500), atol=1e-3)
    assert torch.allclose(matrices[:, 5], torch.zeros(500), atol=1e-3)
    assert float(matrices[:, 6].abs().max()) > 1e-3, "the maps are projective"
    # Each map sends the moved corners back to the image's corners.
    starts = torch.tensor([[0.0, 0.0], [8.0, 0.0], [0.0, 5.0], [8.0, 5.0]]).expand(3, 4, 2)
    ends = starts * (1 + torch.tensor([0.1, -0.2, 0.05]).reshape(3, 1, 1))
    a0, a1, a2, b0, b1, b2, c0, c1 = homography_matrices(starts, ends).unsqueeze(-1).unbind(1)
    x, y = ends.unbind(-1)
    k = c0 * x + c1 * y + 1
    mapped = torch.stack([(a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k], dim=-1)
    torch.testing.assert_close(mapped, starts, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    ("layer", "rate"),
    [
        (RandomPerspective(factor=(0.4, 0.4), seed=1), 0.4),
        (RandomErasing(factor=1.0, fill_value=0, seed=1), 0.5),
        (RandomGaussianBlur(factor=(0.8, 0.8), seed=1), 0.8),
        (RandomElasticTransform(factor=(0.3, 0.3), seed=1), 0.3),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, float) else str(value),
)
def test_share_of_changed_images_follows_the_factor(layer, rate: float) -> None:
    x = images((1500, 8, 8, 1), high=200.0)
    y = layer(x, training=True)
    changed = (y - x).abs().flatten(1).amax(dim=1) > 1e-3
    assert abs(float(changed.float().mean()) - rate) < 0.05


def test_erasing_boxes_have_the_drawn_sizes_and_fill() -> None:
    x = images((400, 20, 30, 2), high=100.0) + 100.0
    layer = RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=(5.0, 7.0), seed=0)
    y = layer(x, training=True)
    erased = y[..., 0] == 5.0
    assert torch.equal(erased, y[..., 1] == 7.0), "one box across the channels"
    rows, columns = erased.any(dim=2).sum(dim=1), erased.any(dim=1).sum(dim=1)
    assert set(rows.tolist()) <= {10, 11} and set(columns.tolist()) <= {15, 16}
    assert torch.equal(y[~erased.unsqueeze(-1).expand_as(y)], x[~erased.unsqueeze(-1).expand_as(x)])


def test_erasing_noise_is_clipped_to_the_value_range() -> None:
    x = torch.full((200, 8, 8, 1), 0.5)
    layer = RandomErasing(factor=(1.0, 1.0), scale=(0.5, 0.5), value_range=(0, 1), seed=0)
    y = layer(x, training=True)
    assert float(y.min()) == 0.0 and float(y.max()) == 1.0
    assert float((y == 0.5).float().mean()) < 0.8


def test_gaussian_blur_conserves_the_mean_away_from_the_border() -> None:
    x = torch.zeros(50, 9, 9, 1)
    x[:, 4, 4] = 100.0
    y = RandomGaussianBlur(factor=(1.0, 1.0), kernel_size=5, sigma=(0.3, 1.0), seed=0)(
        x, training=True
    )
    torch.testing.assert_close(y.sum(dim=(1, 2, 3)), torch.full((50,), 100.0))
    centres = y[:, 4, 4, 0]
    assert float(centres.max() - centres.min()) > 10, "one sigma per image"


def test_mix_up_weights_follow_beta_alpha() -> None:
    x = torch.zeros(4000, 1, 1, 1)
    labels = torch.eye(2)[torch.arange(4000) % 2]
    out = MixUp(alpha=2.0, seed=0)({"images": x, "labels": labels}, training=True)
    torch.testing.assert_close(out["labels"].sum(dim=1), torch.ones(4000))
    own = out["labels"][torch.arange(4000), torch.arange(4000) % 2]
    assert float(own.min()) >= 0.0 and float(own.max()) <= 1.0
    # Half the partners share the label; for the others the own share is w ~ Beta(2, 2).
    mixed = own[own < 1 - 1e-6]
    assert abs(float(mixed.mean()) - 0.5) < 0.03 and abs(float(mixed.var()) - 0.05) < 0.01


def test_cut_mix_labels_follow_the_pasted_area() -> None:
    x = torch.arange(200.0).reshape(200, 1, 1, 1).expand(200, 16, 16, 1).contiguous()
    labels = torch.eye(200)
    out = CutMix(seed=0)({"images": x, "labels": labels}, training=True)
    own = (out["images"][..., 0] == x[..., 0]).float().mean(dim=(1, 2))
    kept = out["labels"].diagonal()
    fixed = out["labels"].argmax(dim=1) == torch.arange(200)
    assert float((kept - own).abs().max()) < 0.2, "the label share is the box's area"
    torch.testing.assert_close(out["labels"].sum(dim=1), torch.ones(200))
    assert fixed.float().mean() > 0.3


# ---------------------------------------------------------- seeds, inference, shapes

ALL = [
    (RandomShear, {"x_factor": 0.3, "y_factor": 0.2}),
    (RandomPerspective, {"scale": 0.5}),
    (RandomErasing, {}),
    (RandomGaussianBlur, {"factor": (0.9, 1.0)}),
    (RandomElasticTransform, {}),
    (MixUp, {}),
    (CutMix, {}),
]
IDS = [cls.__name__ for cls, _ in ALL]


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL, ids=IDS)
def test_seed_makes_runs_repeatable(layer_cls: type, kwargs: dict) -> None:
    x = images((6, 8, 9, 3))
    first, second = layer_cls(**kwargs, seed=5), layer_cls(**kwargs, seed=5)
    a1, a2 = first(x, training=True), first(x, training=True)
    assert torch.equal(a1, second(x, training=True)) and torch.equal(a2, second(x, training=True))
    assert not torch.equal(a1, a2), "successive draws differ"
    torch.manual_seed(0)
    c = layer_cls(**kwargs)(x, training=True)
    torch.manual_seed(0)
    assert torch.equal(layer_cls(**kwargs)(x, training=True), c), "unseeded: torch's global seed"


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL, ids=IDS)
def test_inference_is_a_cast_and_shapes_are_kept(layer_cls: type, kwargs: dict) -> None:
    layer = layer_cls(**kwargs, seed=0)
    x = torch.randint(0, 256, (2, 6, 7, 3), dtype=torch.uint8)
    inferred = layer(x)
    assert inferred.dtype == torch.float32 and torch.equal(inferred, x.float())
    assert layer(x, training=True).dtype == torch.float32
    assert layer(images((6, 7, 3)), training=True).shape == (6, 7, 3)
    channels_first = layer_cls(**kwargs, **CF, seed=0)
    assert channels_first(images((2, 3, 6, 7)), training=True).shape == (2, 3, 6, 7)
    assert tuple(layer_cls(**kwargs)(Input((6, 7, 3))).shape) == (None, 6, 7, 3)


@pytest.mark.parametrize(("layer_cls", "kwargs"), ALL, ids=IDS)
def test_configs_round_trip_and_move_between_keras_and_torchseq(
    layer_cls: type, kwargs: dict
) -> None:
    layer = layer_cls(**kwargs, seed=3)
    assert layer_cls.from_config(layer.get_config()).get_config() == layer.get_config()
    reference = getattr(keras.layers, layer_cls.__name__)(**kwargs, seed=3)
    stored = as_stored(keras.saving.serialize_keras_object(reference))["config"]
    ours = layer_cls.from_config(stored)
    assert {k: v for k, v in ours.get_config().items() if k != "name"} == {
        k: v for k, v in layer.get_config().items() if k != "name"
    }
    if layer_cls is RandomShear:
        # Keras rejects the negative lower bound its own get_config stores.
        with pytest.raises(TypeError, match="x_factor"):
            keras.saving.deserialize_keras_object(as_stored(keras.layers.serialize(reference)))
        return
    theirs = type(reference).from_config(as_stored(layer.get_config()))
    assert theirs.get_config()["seed"] == 3


def test_channels_first_draws_match_channels_last() -> None:
    x = images((4, 6, 7, 2))
    for layer_cls, kwargs in ALL:
        last = layer_cls(**kwargs, seed=2)(x, training=True)
        first = layer_cls(**kwargs, **CF, seed=2)(x.permute(0, 3, 1, 2), training=True)
        if layer_cls is RandomErasing:  # the noise is drawn in the images' layout
            continue
        assert_close(first.permute(0, 2, 3, 1), last, atol=1e-3)


def test_mixing_layers_take_images_alone_or_a_dict_and_leave_single_images() -> None:
    x = images((4, 5, 5, 3))
    for layer in (MixUp(seed=1), CutMix(seed=1)):
        alone = layer(x, training=True)
        assert alone.shape == x.shape and not torch.equal(alone, x)
        single = layer({"images": x[0], "labels": torch.tensor([0, 1])}, training=True)
        assert torch.equal(single["images"], x[0])
        assert single["labels"].tolist() == [0.0, 1.0]
        inferred = layer({"images": x, "labels": np.eye(4)})
        assert torch.equal(inferred["images"], x) and torch.equal(inferred["labels"], torch.eye(4))


# ---------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: RandomShear(1.5), ValueError, r"x_factor must be .* in \[0.0, 1.0\]"),
        (lambda: RandomShear(0.1, (0.1, -1.2)), ValueError, "received: y_factor=.0.1, -1.2."),
        (lambda: RandomShear(0.1, fill_mode="mirror"), ValueError, "fill_mode must be one of"),
        (lambda: RandomPerspective(scale=1.5), ValueError, "scale must be a number in .0, 1."),
        (lambda: RandomPerspective(factor=2), ValueError, r"factor must be .* in \[0.0, 1.0\]"),
        (
            lambda: RandomPerspective(interpolation="bicubic"),
            ValueError,
            r"interpolation must be one of \['nearest', 'bilinear'\]",
        ),
        (lambda: RandomErasing(scale=(0.1, 0.2, 0.3)), ValueError, "scale must be"),
        (lambda: RandomErasing(fill_value="red"), ValueError, "received: fill_value='red'"),
        (lambda: RandomErasing(value_range=3), ValueError, "value_range must be a pair"),
        (
            lambda: RandomGaussianBlur(kernel_size=4),
            ValueError,
            "kernel_size must be an odd positive int .* received: kernel_size=4",
        ),
        (lambda: RandomGaussianBlur(sigma=2.0), ValueError, "sigma must be"),
        (
            lambda: RandomElasticTransform(fill_mode="edge"),
            ValueError,
            r"fill_mode must be one of \['reflect', 'wrap', 'constant', 'nearest', 'mirror'\]",
        ),
        (lambda: RandomElasticTransform(fill_value=None), TypeError, "fill_value must be a number"),
        (lambda: MixUp(alpha=0), ValueError, "alpha must be a positive number, received: alpha=0"),
        (lambda: CutMix(factor="big"), TypeError, "received: factor='big'"),
        (lambda: CutMix(seed=1.5), TypeError, "seed must be an int or None"),
    ],
)
def test_argument_errors(make, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_call_errors_name_the_layer() -> None:
    with pytest.raises(ValueError, match=r'an "images" key, received a dict with keys: \[.x.\]'):
        MixUp()({"x": torch.ones(2, 3, 3, 1)})
    with pytest.raises(ValueError, match=r"one row of labels per image \(2\), .*shape=\(3, 2\)"):
        CutMix()({"images": torch.ones(2, 3, 3, 1), "labels": torch.ones(3, 2)}, training=True)
    with pytest.raises(ValueError, match=r"expected a 3-D image or a 4-D batch .* shape=\(2, 3\)"):
        RandomShear(0.1)(torch.ones(2, 3))
