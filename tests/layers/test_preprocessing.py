"""Tests for Rescaling, Normalization (preprocessing) and CenterCrop, Resizing (image_resizing)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.layers.harness import LayerCase, check_layer, to_numpy
from torchseq.layers.image_resizing import CenterCrop, Resizing
from torchseq.layers.input_layer import Input
from torchseq.layers.preprocessing import Normalization, Rescaling

CF = {"data_format": "channels_first"}

CASES = [
    LayerCase(Rescaling, {"scale": 1 / 255}, (2, 4, 4, 3)),
    LayerCase(Rescaling, {"scale": 2.0, "offset": -1.0}, (2, 5)),
    LayerCase(Rescaling, {"scale": [0.5, 2.0, 3.0], "offset": [1.0, 0.0, -1.0]}, (2, 4, 3)),
    LayerCase(Normalization, {}, (3, 4)),
    LayerCase(Normalization, {"axis": None}, (3, 4)),
    LayerCase(Normalization, {"mean": 2.0, "variance": 4.0}, (3, 4)),
    LayerCase(Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.25]}, (2, 5, 3)),
    LayerCase(
        Normalization,
        {"axis": 1, "mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.25]},
        (2, 3, 5),
    ),
    LayerCase(
        Normalization,
        {"axis": (1, 2), "mean": [[1.0], [2.0]], "variance": [[1.0], [4.0]]},
        (2, 2, 3),
    ),
    LayerCase(
        Normalization,
        {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.0], "invert": True},
        (2, 3),
    ),
    LayerCase(CenterCrop, {"height": 3, "width": 2}, (2, 5, 6, 3)),
    LayerCase(CenterCrop, {"height": 4, "width": 4}, (2, 4, 4, 1)),
    LayerCase(CenterCrop, {"height": 3, "width": 2, **CF}, (2, 3, 5, 6)),
    LayerCase(CenterCrop, {"height": 6, "width": 4}, (2, 4, 5, 3)),  # smaller: resized
    LayerCase(CenterCrop, {"height": 8, "width": 8, **CF}, (2, 3, 5, 7)),
    LayerCase(Resizing, {"height": 7, "width": 9}, (2, 4, 5, 3)),
    LayerCase(Resizing, {"height": 2, "width": 3}, (2, 6, 7, 3)),
    LayerCase(Resizing, {"height": 7, "width": 9, **CF}, (2, 3, 4, 5)),
    LayerCase(Resizing, {"height": 5, "width": 3, "interpolation": "nearest"}, (2, 4, 7, 2)),
    LayerCase(Resizing, {"height": 6, "width": 6, "interpolation": "bicubic"}, (2, 4, 5, 2)),
    LayerCase(Resizing, {"height": 4, "width": 4, "crop_to_aspect_ratio": True}, (2, 5, 9, 2)),
    LayerCase(
        Resizing, {"height": 4, "width": 4, "crop_to_aspect_ratio": True, **CF}, (2, 2, 9, 5)
    ),
    LayerCase(
        Resizing,
        {"height": 4, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 1.0},
        (2, 3, 7, 2),
    ),
    LayerCase(Resizing, {"height": 3, "width": 3, "antialias": True}, (2, 8, 9, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_preprocessing_layers_match_keras(case):
    check_layer(case)


# ---------------------------------------------------------------------- Rescaling


def test_rescaling_casts_integer_images_to_floats():
    out = Rescaling(1 / 255)(torch.tensor([0, 255], dtype=torch.uint8))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.tensor([0.0, 1.0]))


def test_rescaling_config_keeps_arrays_as_lists():
    layer = Rescaling(np.array([1.0, 2.0]), offset=0.5)
    config = layer.get_config()
    assert config["scale"] == [1.0, 2.0] and config["offset"] == 0.5
    assert Rescaling.from_config(config).get_config() == config


def test_rescaling_rejects_non_numbers():
    with pytest.raises(TypeError, match=r"^Rescaling: scale must be a number or an array"):
        Rescaling("half")
    with pytest.raises(TypeError, match=r"^Rescaling: offset must be a number or an array"):
        Rescaling(1.0, offset=True)


# ---------------------------------------------------------------------- Normalization


def _adapted_pair(axis, data, keras_data=None):
    keras = pytest.importorskip("keras")
    reference = keras.layers.Normalization(axis=axis)
    reference.adapt(data if keras_data is None else keras_data)
    layer = Normalization(axis=axis)
    layer.adapt(data)
    return layer, reference


@pytest.mark.parametrize(
    ("axis", "shape"), [(-1, (20, 3)), (None, (20, 3)), (1, (10, 3, 4)), ((1, 2), (10, 2, 3))]
)
def test_normalization_adapt_on_arrays_matches_keras(axis, shape):
    data = (np.random.default_rng(0).standard_normal(shape) * 3 + 2).astype("float32")
    layer, reference = _adapted_pair(axis, data)
    for ours, theirs in zip(layer.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, to_numpy(theirs), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        to_numpy(layer(torch.from_numpy(data))), to_numpy(reference(data)), atol=1e-5
    )


def test_normalization_adapt_on_tensors_and_batches_matches_keras():
    data = (np.random.default_rng(1).standard_normal((30, 4)) * 2 - 1).astype("float32")
    keras_layer = _adapted_pair(-1, data)[1]
    expected = [to_numpy(w) for w in keras_layer.get_weights()[:2]]
    from_tensor = Normalization()
    from_tensor.adapt(torch.from_numpy(data))
    batches = [data[:8], data[8:20], data[20:]]
    from_batches = Normalization()
    from_batches.adapt(iter(batches))
    # (Keras 3.15.1 itself needs TensorFlow to adapt on a list of batches.)
    for layer in (from_tensor, from_batches):
        for ours, theirs in zip(layer.get_weights()[:2], expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_normalization_adapted_statistics_are_buffers_in_the_state_dict():
    layer = Normalization()
    layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]], dtype="float32"))
    torch.testing.assert_close(layer(torch.tensor([[2.0, 30.0]])), torch.tensor([[1.0, 1.0]]))
    assert sorted(layer.state_dict()) == ["count", "mean", "variance"]
    assert list(layer.parameters()) == [] and len(layer.non_trainable_weights) == 3
    clone = Normalization()
    clone.load_state_dict(layer.state_dict())
    clone(torch.zeros(1, 2))
    torch.testing.assert_close(clone.mean, torch.tensor([1.0, 20.0]))


def test_normalization_invert_undoes_normalization():
    data = np.random.default_rng(2).standard_normal((10, 3)).astype("float32") * 4
    forward, inverse = Normalization(), Normalization(invert=True)
    forward.adapt(data)
    inverse.adapt(data)
    x = torch.from_numpy(data)
    torch.testing.assert_close(inverse(forward(x)), x, atol=1e-5, rtol=1e-5)


def test_normalization_symbolic_call_and_config():
    layer = Normalization(axis=1, mean=[1.0, 2.0], variance=[1.0, 1.0])
    assert layer(Input((2, 3))).shape == (None, 2, 3)
    config = layer.get_config()
    assert config["mean"] == [1.0, 2.0] and config["axis"] == (1,)
    assert Normalization.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"mean": 1.0}, ValueError, r"mean and variance must be given together"),
        ({"mean": [1.0, 2.0], "variance": [1.0]}, ValueError, r"must have the same shape"),
        ({"mean": [[1.0]], "variance": [[1.0]]}, ValueError, r"rank of mean must be <= "),
        ({"axis": "last"}, TypeError, r"axis must be an int, a list of ints or None"),
        ({"axis": [1, 1]}, ValueError, r"must not repeat an axis"),
    ],
)
def test_normalization_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=f"^Normalization: .*{match}"):
        Normalization(**kwargs)


def test_normalization_rejects_bad_shapes_and_data():
    with pytest.raises(
        ValueError, match=r'Normalization layer "normalization.*": axis=\(3,\) is out of range'
    ):
        Normalization(axis=3).build((2, 3))
    layer = Normalization()
    layer.adapt(np.zeros((4, 3), dtype="float32"))
    with pytest.raises(
        ValueError, match=r"built for input shape \(4, 3\).*received data of shape \(4, 5\)"
    ):
        layer.adapt(np.zeros((4, 5), dtype="float32"))
    with pytest.raises(ValueError, match=r"created with mean= and variance="):
        Normalization(mean=0.0, variance=1.0).adapt(np.zeros((2, 2)))
    with pytest.raises(
        TypeError, match=r"adapt\(\) expects a numpy array, a tensor or an iterable"
    ):
        Normalization().adapt(3.0)
    with pytest.raises(ValueError, match=r"empty iterable"):
        Normalization().adapt([])


# ---------------------------------------------------------------------- CenterCrop, Resizing


def test_center_crop_is_a_view_and_handles_single_images():
    x = torch.arange(2 * 5 * 6 * 1, dtype=torch.float32).reshape(2, 5, 6, 1)
    out = CenterCrop(3, 2)(x)
    assert out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()  # a view
    torch.testing.assert_close(out, x[:, 1:4, 2:4, :])
    single = CenterCrop(3, 2)(x[0])
    torch.testing.assert_close(single, x[0, 1:4, 2:4, :])
    chw = CenterCrop(3, 2, data_format="channels_first")(x[0].permute(2, 0, 1))
    torch.testing.assert_close(chw, x[0, 1:4, 2:4, :].permute(2, 0, 1))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resizing_single_images_match_keras(data_format):
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(3).standard_normal((4, 5, 3)).astype("float32")
    expected = keras.layers.Resizing(6, 7, data_format=data_format)(x)
    actual = Resizing(6, 7, data_format=data_format)(torch.from_numpy(x))
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), atol=1e-5)


def test_resizing_keeps_integer_dtypes_like_keras():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(4).integers(0, 256, (2, 5, 5, 1)).astype("uint8")
    expected = to_numpy(keras.layers.Resizing(3, 4)(x))
    actual = Resizing(3, 4)(torch.from_numpy(x))
    assert actual.dtype == torch.uint8
    np.testing.assert_array_equal(to_numpy(actual), expected)
    assert CenterCrop(3, 3)(torch.from_numpy(x)).dtype == torch.float32


def test_image_layers_symbolic_call_and_output_shapes():
    assert Resizing(8, 9)(Input((4, 5, 3))).shape == (None, 8, 9, 3)
    assert CenterCrop(2, 3, data_format="channels_first")(Input((3, 4, 5))).shape == (
        None,
        3,
        2,
        3,
    )
    assert Resizing(8, 9).compute_output_shape((4, 5, 3)) == (8, 9, 3)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (
            lambda: Resizing(0, 3),
            r"^Resizing: height must be a positive integer, received: height=0",
        ),
        (lambda: CenterCrop(3, 2.5), r"^CenterCrop: width must be a positive integer"),
        (
            lambda: Resizing(3, 3, interpolation="lanczos3"),
            (
                r"^Resizing: interpolation must be one of \['bilinear', 'nearest', 'bicubic'\], "
                r"received: interpolation='lanczos3'"
            ),
        ),
        (lambda: Resizing(3, 3, fill_mode="reflect"), r"^Resizing: fill_mode must be one of"),
        (
            lambda: Resizing(3, 3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True),
            r"^Resizing: only one of crop_to_aspect_ratio and pad_to_aspect_ratio",
        ),
        (
            lambda: CenterCrop(3, 3, data_format="nhwc"),
            r"^CenterCrop: data_format must be one of \['channels_last', 'channels_first'\]",
        ),
    ],
)
def test_image_layers_reject_bad_arguments(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_image_layers_reject_inputs_that_are_not_images():
    with pytest.raises(ValueError, match=r'Resizing layer "resizing.*": expected images of rank 4'):
        Resizing(3, 3)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r'CenterCrop layer "center_crop.*": expected images'):
        CenterCrop(3, 3)(torch.zeros(2, 3, 4, 5, 6))


def test_rescaling_aligns_array_scale_with_channels_first_images():
    from torchseq import config

    previous = config.image_data_format()
    config.set_image_data_format("channels_first")
    try:
        layer = Rescaling([1.0, 10.0])
    finally:
        config.set_image_data_format(previous)
    out = layer(torch.ones(1, 2, 3, 3))
    assert out[0, 0].eq(1.0).all() and out[0, 1].eq(10.0).all()


def test_adapted_normalization_in_a_model_trains_and_keeps_its_statistics():
    from torchseq.layers.activation_layers import PReLU
    from torchseq.layers.core import Dense
    from torchseq.models.sequential import Sequential

    torch.manual_seed(0)
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((32, 4)) * 5 + 3).astype("float32")
    y = rng.standard_normal((32, 1)).astype("float32")
    norm = Normalization()
    norm.adapt(x)
    mean = norm.mean.clone()
    prelu = PReLU(alpha_initializer="constant")
    model = Sequential([Input((4,)), norm, Dense(8), prelu, Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    alpha = prelu.alpha.detach().clone()
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    torch.testing.assert_close(norm.mean, mean)
    assert not torch.equal(prelu.alpha.detach(), alpha)
