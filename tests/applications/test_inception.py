"""InceptionV3 and InceptionResNetV2 against Keras 3's builders: layers (their automatic
names included), shapes, parameter counts, summary, and the same outputs with the same
weights."""

from __future__ import annotations

import urllib.error
import urllib.request

import keras
import numpy as np
import pytest
import torch
from keras.src.applications import inception_resnet_v2 as keras_inception_resnet_v2

from tests.applications.parity import first_difference, layer_table, random_weights, summary_lines
from torchseq.applications import inception_resnet_v2, inception_v3
from torchseq.layers.input_layer import Input
from torchseq.utils import naming

pytestmark = pytest.mark.usefixtures("fast_keras_init", "one_thread")

SMALL = (75, 75, 3)  # the minimum size: cheap to build and run
MODULES = {"InceptionV3": inception_v3, "InceptionResNetV2": inception_resnet_v2}
BUILDERS = [inception_v3.InceptionV3, inception_resnet_v2.InceptionResNetV2]


def build_pair(variant, **kwargs):
    keras.backend.clear_session()
    naming.clear_session()
    kmodel = getattr(keras.applications, variant)(weights=None, **kwargs)
    return kmodel, getattr(MODULES[variant], variant)(weights=None, **kwargs)


def assert_same_outputs(kmodel, model, seed=1):
    weights = random_weights(kmodel)
    kmodel.set_weights(weights)
    model.set_weights(weights)
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, (2, *SMALL)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"include_top": True, "classes": 7, "classifier_activation": None},
        {"include_top": False, "pooling": "max"},
    ],
)
def test_inception_v3_same_weights_same_outputs(kwargs):
    kmodel, model = build_pair("InceptionV3", input_shape=SMALL, **kwargs)
    assert model.name == kmodel.name
    assert first_difference(layer_table(model), layer_table(kmodel)) is None
    assert model.count_params() == kmodel.count_params()
    assert first_difference(summary_lines(model), summary_lines(kmodel)) is None
    assert_same_outputs(kmodel, model)


def test_inception_resnet_v2_same_weights_same_outputs():
    kmodel, model = build_pair(
        "InceptionResNetV2", input_shape=SMALL, include_top=True, classes=7,
        classifier_activation=None,
    )
    assert model.name == kmodel.name
    assert first_difference(layer_table(model), layer_table(kmodel)) is None
    assert model.count_params() == kmodel.count_params()
    assert_same_outputs(kmodel, model)


def test_custom_scale_layer_matches_keras():
    shortcut = np.random.default_rng(3).normal(size=(2, 4, 4, 5)).astype("float32")
    branch = np.random.default_rng(4).normal(size=(2, 4, 4, 5)).astype("float32")
    theirs = keras_inception_resnet_v2.CustomScaleLayer(0.17)
    ours = inception_resnet_v2.CustomScaleLayer(0.17, name="scale")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours([torch.tensor(shortcut), torch.tensor(branch)])),
        keras.ops.convert_to_numpy(theirs([shortcut, branch])),
        rtol=1e-6,
    )
    assert ours.get_config()["scale"] == 0.17
    restored = inception_resnet_v2.CustomScaleLayer.from_config(ours.get_config())
    assert (restored.name, restored.scale) == ("scale", 0.17)
    inputs = [Input((None, None, 5)), Input((None, None, 5))]
    assert tuple(ours(inputs).shape) == (None, None, None, 5)


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": "imagenet21k"}, r"`weights` argument.*weights='imagenet21k'"),
        ({"weights": "imagenet", "classes": 10}, r"`classes` should be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (74, 80, 3)},
         r"at least 75x75"),
        ({"weights": "imagenet", "input_shape": SMALL}, r"should be \(299, 299, 3\)"),
        ({"weights": "imagenet", "include_top": False, "input_shape": (80, 80, 1)},
         r"3 channels"),
        ({"weights": None, "include_top": False, "pooling": "sum"}, r"pooling='sum'"),
        ({"weights": "imagenet", "classifier_activation": "relu"}, r"`None` and `softmax`"),
    ],
)
def test_argument_errors(builder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        builder(**kwargs)


def test_imagenet_weights_offline_fail_with_get_files_message(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    file_name = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(OSError, match=f"Could not download .*/inception_v3/{file_name}") as info:
        inception_v3.InceptionV3(include_top=False, input_shape=SMALL)
    assert str(tmp_path / "models" / file_name) in str(info.value)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (inception_v3.preprocess_input, keras.applications.inception_v3.preprocess_input),
        (inception_resnet_v2.preprocess_input,
         keras.applications.inception_resnet_v2.preprocess_input),
    ],
)
def test_preprocess_input_matches_keras(ours, theirs):
    x = np.random.default_rng(2).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(ours(x.copy()), theirs(x.copy()), rtol=1e-6, atol=1e-6)
