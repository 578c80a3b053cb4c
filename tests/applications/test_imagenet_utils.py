"""keras.applications.imagenet_utils: preprocessing against Keras's, labels, and the checks
every model builder shares."""

from __future__ import annotations

import urllib.error
import urllib.request

import keras
import numpy as np
import pytest
import torch
from keras.src.applications import imagenet_utils as keras_utils

import torchseq
from torchseq.applications import imagenet_utils

CHANNELS_LAST_SHAPES = [(2, 5, 4, 3), (5, 4, 3)]
CHANNELS_FIRST_SHAPES = [(2, 3, 5, 4), (3, 5, 4)]
FORMAT_AND_SHAPE = [("channels_last", shape) for shape in CHANNELS_LAST_SHAPES] + [
    ("channels_first", shape) for shape in CHANNELS_FIRST_SHAPES
]


def images(shape: tuple[int, ...], dtype: str = "float32") -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 255, shape).astype(dtype)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize(("data_format", "shape"), FORMAT_AND_SHAPE)
def test_preprocess_input_matches_keras_on_arrays_and_tensors(mode, data_format, shape):
    x = images(shape)
    expected = keras_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)

    from_array = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    from_tensor = imagenet_utils.preprocess_input(
        torch.from_numpy(x.copy()), data_format=data_format, mode=mode
    )

    assert isinstance(from_array, np.ndarray)
    assert from_array.dtype == np.float32
    np.testing.assert_allclose(from_array, expected, rtol=0, atol=1e-5)
    assert isinstance(from_tensor, torch.Tensor)
    assert from_tensor.dtype == torch.float32
    np.testing.assert_allclose(from_tensor.numpy(), expected, rtol=0, atol=1e-5)


def test_preprocess_input_changes_float_arrays_in_place_like_keras_but_never_tensors():
    array = images((1, 2, 2, 3))
    result = imagenet_utils.preprocess_input(array, mode="tf")
    assert np.shares_memory(result, array)

    tensor = torch.full((1, 2, 2, 3), 255.0)
    imagenet_utils.preprocess_input(tensor, mode="tf")
    assert torch.all(tensor == 255.0)


def test_preprocess_input_casts_integer_images():
    x = images((1, 2, 2, 3)).astype("uint8")
    expected = keras_utils.preprocess_input(x.copy())

    np.testing.assert_allclose(imagenet_utils.preprocess_input(x), expected, atol=1e-5)
    from_tensor = imagenet_utils.preprocess_input(torch.from_numpy(x), mode="caffe")
    assert from_tensor.dtype == torch.float32
    np.testing.assert_allclose(from_tensor.numpy(), expected, atol=1e-5)


def test_preprocess_input_on_a_symbolic_tensor_builds_a_graph():
    inputs = torchseq.Input((4, 4, 3))
    outputs = imagenet_utils.preprocess_input(inputs, mode="torch")
    model = torchseq.Model(inputs, outputs)
    x = images((2, 4, 4, 3))

    expected = keras_utils.preprocess_input(x.copy(), mode="torch")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


def test_preprocess_input_rejects_unknown_mode_and_data_format():
    with pytest.raises(ValueError, match=r"mode to be one of 'caffe', 'tf', 'torch'.*mode='bgr'"):
        imagenet_utils.preprocess_input(images((1, 2, 2, 3)), mode="bgr")
    with pytest.raises(ValueError, match=r"data_format.*Received: data_format='nhwc'"):
        imagenet_utils.preprocess_input(images((1, 2, 2, 3)), data_format="nhwc")


@pytest.fixture
def class_index(monkeypatch):
    index = {str(i): [f"n{i:08d}", f"label_{i}"] for i in range(1000)}
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", index)
    return index


def test_decode_predictions_gives_the_best_labels_first(class_index):
    preds = np.zeros((2, 1000), dtype="float32")
    preds[0, [7, 3, 999]] = [0.2, 0.5, 0.3]
    preds[1, 42] = 1.0

    decoded = imagenet_utils.decode_predictions(torch.from_numpy(preds), top=3)

    assert [label[:2] for label in decoded[0]] == [
        ("n00000003", "label_3"), ("n00000999", "label_999"), ("n00000007", "label_7"),
    ]
    assert [float(label[2]) for label in decoded[0]] == pytest.approx([0.5, 0.3, 0.2])
    assert decoded[1][0] == ("n00000042", "label_42", pytest.approx(1.0))
    assert len(imagenet_utils.decode_predictions(preds)[1]) == 5


def test_decode_predictions_rejects_other_shapes(class_index):
    with pytest.raises(ValueError, match=r"shape \(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network: every download fails at once; the Keras cache is an empty folder."""

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(imagenet_utils, "_CLASS_INDEX", None)
    return tmp_path


def test_decode_predictions_offline_says_where_to_put_the_class_index(offline):
    with pytest.raises(OSError, match=r"Could not download .*imagenet_class_index\.json") as info:
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))
    assert str(offline / "models" / "imagenet_class_index.json") in str(info.value)


def test_load_weights_into_fetches_imagenet_files_into_the_models_cache(offline):
    model = torchseq.Sequential([torchseq.Input((2,)), torchseq.layers.Dense(1)])
    with pytest.raises(OSError, match=r"Could not download https://example\.com/w\.h5") as info:
        imagenet_utils.load_weights_into(
            model, "imagenet", file_name="w.h5", origin="https://example.com/w.h5"
        )
    assert str(offline / "models" / "w.h5") in str(info.value)


def test_load_weights_into_loads_a_path_and_ignores_none(tmp_path):
    source = torchseq.Sequential([torchseq.Input((2,)), torchseq.layers.Dense(1)])
    path = str(tmp_path / "model.weights.h5")
    source.save_weights(path)
    target = torchseq.Sequential([torchseq.Input((2,)), torchseq.layers.Dense(1)])
    before = [w.copy() for w in target.get_weights()]

    imagenet_utils.load_weights_into(target, None)
    assert all(np.array_equal(a, b) for a, b in zip(before, target.get_weights()))
    imagenet_utils.load_weights_into(target, path)
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), target.get_weights()))


def test_check_weights_argument(tmp_path):
    existing = tmp_path / "w.weights.h5"
    existing.write_bytes(b"")
    for weights in (None, "imagenet", str(existing), existing):
        imagenet_utils.check_weights_argument(weights, include_top=True, classes=1000)

    with pytest.raises(ValueError, match=r"`None`.*'imagenet'.*path.*weights='imagenet21k'"):
        imagenet_utils.check_weights_argument("imagenet21k", include_top=True, classes=1000)
    with pytest.raises(ValueError, match=r"weights=.*missing\.h5"):
        imagenet_utils.check_weights_argument(
            str(tmp_path / "missing.h5"), include_top=False, classes=1000
        )
    with pytest.raises(ValueError, match=r"`classes` should be 1000.*classes=10"):
        imagenet_utils.check_weights_argument("imagenet", include_top=True, classes=10)
    imagenet_utils.check_weights_argument("imagenet", include_top=False, classes=10)


def test_check_pooling():
    for pooling in (None, "avg", "max"):
        imagenet_utils.check_pooling(pooling)
    with pytest.raises(ValueError, match=r"None, 'avg' or 'max'.*pooling='mean'"):
        imagenet_utils.check_pooling("mean")


def test_validate_activation():
    imagenet_utils.validate_activation("relu", None)
    for activation in ("softmax", None, "linear"):
        imagenet_utils.validate_activation(activation, "imagenet")
    with pytest.raises(ValueError, match=r"`None` and `softmax`.*classifier_activation='sigmoid'"):
        imagenet_utils.validate_activation("sigmoid", "imagenet")


SHAPE_CASES = [
    # input_shape, require_flatten, weights -> expected (same as Keras's obtain_input_shape)
    (None, True, None),
    (None, False, None),
    (None, True, "imagenet"),
    ((64, 48, 3), False, "imagenet"),
    ((None, None, 3), False, None),
    ((64, 64, 1), True, None),
    ((224, 224, 3), True, "imagenet"),
]


@pytest.mark.parametrize(("input_shape", "require_flatten", "weights"), SHAPE_CASES)
def test_resolve_input_shape_matches_keras(input_shape, require_flatten, weights):
    expected = keras_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format="channels_last",
        require_flatten=require_flatten, weights=weights,
    )
    resolved = imagenet_utils.resolve_input_shape(
        input_shape, default_size=224, min_size=32, require_flatten=require_flatten,
        weights=weights,
    )
    assert resolved == tuple(expected)


@pytest.mark.parametrize(
    ("input_shape", "require_flatten", "weights", "message"),
    [
        ((64, 64, 3), True, "imagenet", r"`input_shape` should be \(224, 224, 3\)"),
        ((64, 64, 1), False, "imagenet", r"must have 3 channels.*\(64, 64, 1\)"),
        ((16, 64, 3), False, None, r"at least 32x32.*\(16, 64, 3\)"),
        ((64, 64), False, None, r"tuple of three integers.*\(64, 64\)"),
        ((None, None, 3), True, None, r"static `input_shape`.*\(None, None, 3\)"),
    ],
)
def test_resolve_input_shape_errors(input_shape, require_flatten, weights, message):
    with pytest.raises(ValueError, match=message):
        imagenet_utils.resolve_input_shape(
            input_shape, default_size=224, min_size=32, require_flatten=require_flatten,
            weights=weights,
        )
    with pytest.raises(ValueError):  # Keras refuses the same shapes
        keras_utils.obtain_input_shape(
            input_shape, default_size=224, min_size=32, data_format="channels_last",
            require_flatten=require_flatten, weights=weights,
        )


def test_resolve_input_shape_warns_about_unusual_channels_and_refuses_channels_first():
    with pytest.warns(UserWarning, match="1 or 3 input channels.*with 4 input channels"):
        shape = imagenet_utils.resolve_input_shape(
            (64, 64, 4), default_size=224, min_size=32, require_flatten=False
        )
    assert shape == (64, 64, 4)
    with pytest.raises(TypeError, match="tuple of three integers.*input_shape=64"):
        imagenet_utils.resolve_input_shape(
            64, default_size=224, min_size=32, require_flatten=False
        )

    torchseq.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels-last models only"):
            imagenet_utils.resolve_input_shape(
                None, default_size=224, min_size=32, require_flatten=False
            )
    finally:
        torchseq.config.set_image_data_format("channels_last")


def test_make_inputs_keeps_the_layers_before_an_input_tensor():
    image, inputs = imagenet_utils.make_inputs(None, (8, 8, 3))
    assert image is inputs
    assert tuple(image.shape) == (None, 8, 8, 3)

    raw = torchseq.Input((8, 8, 3))
    scaled = torchseq.layers.Rescaling(1 / 255)(raw)
    image, inputs = imagenet_utils.make_inputs(scaled, (8, 8, 3))
    assert image is scaled
    assert inputs == [raw]

    with pytest.raises(ValueError, match="symbolic tensor.*torch.Tensor"):
        imagenet_utils.make_inputs(torch.zeros(1, 8, 8, 3), (8, 8, 3))


@pytest.mark.parametrize("size", [None, 7, 8])
@pytest.mark.parametrize("kernel_size", [3, (5, 5)])
def test_correct_pad_matches_keras(size, kernel_size):
    expected = keras_utils.correct_pad(keras.Input((size, size, 3)), kernel_size)
    assert imagenet_utils.correct_pad(torchseq.Input((size, size, 3)), kernel_size) == expected


def test_apply_pooling():
    features = torchseq.Input((4, 4, 8))
    assert imagenet_utils.apply_pooling(features, None) is features
    pooled = imagenet_utils.apply_pooling(features, "max", max_name="max_pool")
    assert tuple(pooled.shape) == (None, 8)
    assert pooled.node.layer.name == "max_pool"
    with pytest.raises(ValueError, match="pooling='sum'"):
        imagenet_utils.apply_pooling(features, "sum")
