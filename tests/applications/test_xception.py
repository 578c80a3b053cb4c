"""Xception against Keras 3's builder: layers, shapes, parameter counts, summary, the same
outputs with the same weights (with and without the classifier), input tensors and
weight files."""

from __future__ import annotations

import urllib.error
import urllib.request

import keras
import numpy as np
import pytest

from tests.applications.parity import first_difference, layer_table, random_weights, summary_lines
from torchseq import config, layers
from torchseq.applications import xception
from torchseq.utils import naming

pytestmark = pytest.mark.usefixtures("fast_keras_init", "one_thread")

SMALL = (71, 71, 3)  # the minimum size: cheap to build and run
MODULES = {"Xception": xception}


def build_pair(variant, **kwargs):
    keras.backend.clear_session()
    naming.clear_session()
    kmodel = getattr(keras.applications, variant)(weights=None, **kwargs)
    return kmodel, getattr(MODULES[variant], variant)(weights=None, **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"include_top": True, "classes": 7, "classifier_activation": None},
        {"include_top": False, "pooling": "avg"},
    ],
)
def test_same_weights_same_outputs(kwargs):
    kmodel, model = build_pair("Xception", input_shape=SMALL, **kwargs)
    assert model.name == kmodel.name
    assert first_difference(layer_table(model), layer_table(kmodel)) is None
    assert model.count_params() == kmodel.count_params()
    assert first_difference(summary_lines(model), summary_lines(kmodel)) is None

    weights = random_weights(kmodel)
    kmodel.set_weights(weights)
    model.set_weights(weights)
    x = np.random.default_rng(1).uniform(-1.0, 1.0, (2, *SMALL)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


def test_max_pooling_without_the_top_matches_keras():
    kmodel, model = build_pair("Xception", include_top=False, pooling="max")
    assert first_difference(layer_table(model), layer_table(kmodel)) is None
    assert tuple(model.output.shape) == (None, 2048)


def test_input_tensor_keeps_the_layers_before_it():
    image = layers.Input((80, 80, 3))
    scaled = layers.Rescaling(1.0 / 127.5, offset=-1.0)(image)
    model = xception.Xception(weights=None, include_top=False, input_tensor=scaled)
    assert model.inputs[0] is image
    assert type(model.layers[1]).__name__ == "Rescaling"
    assert tuple(model.output.shape) == (None, 3, 3, 2048)


def test_weights_from_a_file(tmp_path):
    source = xception.Xception(weights=None, include_top=False, input_shape=SMALL)
    path = tmp_path / "xception.weights.h5"
    source.save_weights(path)
    naming.clear_session()
    model = xception.Xception(weights=str(path), include_top=False, input_shape=SMALL)
    for expected, actual in zip(source.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": "imagenet21k"}, r"`weights` argument.*weights='imagenet21k'"),
        ({"weights": "imagenet", "classes": 10}, r"`classes` should be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (70, 80, 3)},
         r"at least 71x71"),
        ({"weights": "imagenet", "input_shape": SMALL}, r"should be \(299, 299, 3\)"),
        ({"weights": None, "input_shape": (None, None, 3)}, r"static `input_shape`"),
        ({"weights": "imagenet", "include_top": False, "input_shape": (80, 80, 1)},
         r"3 channels"),
        ({"weights": None, "include_top": False, "pooling": "sum"}, r"pooling='sum'"),
        ({"weights": "imagenet", "classifier_activation": "relu"}, r"`None` and `softmax`"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        xception.Xception(**kwargs)


def test_channels_first_is_refused_with_a_clear_error():
    config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels-last models only"):
            xception.Xception(weights=None, include_top=False)
    finally:
        config.set_image_data_format("channels_last")


def test_imagenet_weights_offline_fail_with_get_files_message(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    file_name = "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(OSError, match=f"Could not download .*/xception/{file_name}") as info:
        xception.Xception(include_top=False, input_shape=SMALL)
    assert str(tmp_path / "models" / file_name) in str(info.value)


def test_preprocess_input_matches_keras():
    x = np.random.default_rng(2).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        xception.preprocess_input(x.copy()),
        keras.applications.xception.preprocess_input(x.copy()),
        rtol=1e-6, atol=1e-6,
    )
