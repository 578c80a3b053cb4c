"""VGG16 / VGG19 against Keras 3's builders: layers, shapes, parameters, summary, outputs."""

from __future__ import annotations

import urllib.error
import urllib.request

import keras
import numpy as np
import pytest

import torchseq
from torchseq.applications import imagenet_utils, vgg
from torchseq.utils import naming

SMALL = (32, 32, 3)  # VGG's minimum size: cheap to build and run


def build_both(name, **kwargs):
    """Keras's model and ours, each built from fresh automatic names."""
    keras.backend.clear_session()
    keras_model = getattr(keras.applications, name)(weights=None, **kwargs)
    naming.clear_session()
    return keras_model, getattr(vgg, name)(weights=None, **kwargs)


def layer_table(model):
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def summary_text(model):
    lines = []
    model.summary(line_length=80, print_fn=lambda line, **kwargs: lines.append(line))
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("VGG16", {"include_top": True, "classes": 10, "input_shape": SMALL}),
        ("VGG19", {"include_top": False, "input_shape": SMALL, "pooling": "avg"}),
        ("VGG19", {"include_top": False, "pooling": "max"}),
    ],
)
def test_architecture_matches_keras(name, kwargs):
    keras_model, model = build_both(name, **kwargs)

    assert model.name == keras_model.name
    assert layer_table(model) == layer_table(keras_model)
    assert tuple(model.output.shape) == tuple(keras_model.output.shape)
    assert model.count_params() == keras_model.count_params()


def test_vgg16_outputs_and_summary_match_keras_with_the_same_weights():
    keras_model, model = build_both(
        "VGG16", include_top=False, input_shape=SMALL, pooling="avg"
    )
    model.set_weights(keras_model.get_weights())
    x = np.random.default_rng(0).uniform(-100, 100, (2, *SMALL)).astype("float32")

    expected = keras.ops.convert_to_numpy(keras_model(x))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)
    assert summary_text(model) == summary_text(keras_model)


def test_weights_path_loads_a_keras_weights_file(tmp_path):
    keras.backend.clear_session()
    keras_model = keras.applications.VGG16(weights=None, include_top=False, input_shape=SMALL)
    path = str(tmp_path / "vgg16_notop.weights.h5")
    keras_model.save_weights(path)

    model = vgg.VGG16(weights=path, include_top=False, input_shape=SMALL)

    for expected, loaded in zip(keras_model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(loaded, expected)


def test_input_tensor_keeps_the_layers_before_it():
    raw = torchseq.Input(SMALL)
    scaled = torchseq.layers.Rescaling(1.0)(raw)
    model = vgg.VGG19(weights=None, include_top=False, input_tensor=scaled)

    assert model.inputs == [raw]
    assert tuple(model.output.shape) == (None, 1, 1, 512)


def test_imagenet_weights_offline_fail_with_get_files_message(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(OSError, match=r"Could not download .*vgg16/vgg16_weights_.*_notop\.h5"):
        vgg.VGG16(include_top=False, input_shape=SMALL)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": "imagenet21k"}, r"`weights` argument.*weights='imagenet21k'"),
        ({"weights": "imagenet", "classes": 10}, r"`classes` should be 1000.*classes=10"),
        ({"weights": None, "input_shape": (16, 16, 3), "include_top": False}, r"at least 32x32"),
        ({"weights": "imagenet", "input_shape": SMALL}, r"should be \(224, 224, 3\)"),
        ({"weights": None, "include_top": False, "pooling": "sum"}, r"pooling='sum'"),
        ({"weights": "imagenet", "classifier_activation": "relu"}, r"`None` and `softmax`"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        vgg.VGG16(**kwargs)


def test_preprocess_input_is_caffe_mode():
    x = np.random.default_rng(1).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    expected = keras.applications.vgg16.preprocess_input(x.copy())

    np.testing.assert_allclose(vgg.preprocess_input(x.copy()), expected, atol=1e-5)
    np.testing.assert_allclose(
        vgg.preprocess_input(x.copy()),
        imagenet_utils.preprocess_input(x.copy(), mode="caffe"),
        atol=0,
    )
