"""ResNet50/101/152 and their V2 against Keras 3's builders: layers, shapes, parameters,
summary, and outputs with the same weights."""

from __future__ import annotations

import urllib.error
import urllib.request
from unittest import mock

import keras
import numpy as np
import pytest
import torch
from keras.src.backend.torch import random as keras_torch_random

from torchseq.applications import resnet, resnet_v2
from torchseq.utils import naming

SMALL = (32, 32, 3)  # the minimum size: cheap to build and run
MODULES = {"ResNet50": resnet, "ResNet101": resnet, "ResNet152": resnet,
           "ResNet50V2": resnet_v2, "ResNet101V2": resnet_v2, "ResNet152V2": resnet_v2}


def build_keras(name, **kwargs):
    keras.backend.clear_session()
    return getattr(keras.applications, name)(weights=None, **kwargs)


def build_ours(name, **kwargs):
    naming.clear_session()
    return getattr(MODULES[name], name)(weights=None, **kwargs)


def layer_table(model):
    return [(layer.name, type(layer).__name__) for layer in model.layers]


def summary_text(model):
    lines = []
    model.summary(line_length=80, print_fn=lambda line, **kwargs: lines.append(line))
    return "\n".join(lines)


def realistic_weights(keras_model, seed):
    """Keras's initial weights with batch norms that do something: random scales, shifts
    and moving statistics (fresh ones are the identity)."""
    rng = np.random.default_rng(seed)
    weights = []
    for variable in keras_model.weights:
        value = keras.ops.convert_to_numpy(variable.value)
        if variable.name in ("gamma", "moving_variance"):
            value = rng.uniform(0.5, 1.5, value.shape)
        elif variable.name in ("beta", "moving_mean"):
            value = rng.normal(0.0, 0.1, value.shape)
        weights.append(value.astype("float32"))
    return weights


@pytest.mark.parametrize("name", ["ResNet50", "ResNet50V2"])
def test_smallest_variants_match_keras_with_the_same_weights(name):
    keras_model = build_keras(name, include_top=True, input_shape=SMALL, classes=10)
    model = build_ours(name, include_top=True, input_shape=SMALL, classes=10)

    assert model.name == keras_model.name
    assert layer_table(model) == layer_table(keras_model)
    assert model.count_params() == keras_model.count_params()
    assert summary_text(model) == summary_text(keras_model)

    weights = realistic_weights(keras_model, seed=0)
    keras_model.set_weights(weights)
    model.set_weights(weights)
    x = np.random.default_rng(1).uniform(-1, 1, (2, *SMALL)).astype("float32")
    expected = keras.ops.convert_to_numpy(keras_model(x, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


@pytest.fixture
def fast_keras_init():
    """Keras's random init dominates building its deep references; shapes and names do not
    depend on the values, so the reference skips drawing them."""

    def uninitialised(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return torch.empty(tuple(shape))

    with mock.patch.object(keras_torch_random, "uniform", uninitialised):
        yield


@pytest.mark.parametrize(
    ("name", "pooling"),
    [("ResNet101", "max"), ("ResNet152", None), ("ResNet101V2", None), ("ResNet152V2", "avg")],
)
def test_deep_variants_match_keras(fast_keras_init, name, pooling):
    keras_model = build_keras(name, include_top=False, input_shape=SMALL, pooling=pooling)
    model = build_ours(name, include_top=False, input_shape=SMALL, pooling=pooling)

    assert model.name == keras_model.name
    assert layer_table(model) == layer_table(keras_model)
    assert tuple(model.output.shape) == tuple(keras_model.output.shape)
    assert model.count_params() == keras_model.count_params()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": "imagenet21k"}, r"`weights` argument.*weights='imagenet21k'"),
        ({"weights": "imagenet", "classes": 10}, r"`classes` should be 1000.*classes=10"),
        ({"weights": None, "input_shape": (31, 64, 3), "include_top": False}, r"at least 32x32"),
        ({"weights": "imagenet", "input_shape": SMALL}, r"should be \(224, 224, 3\)"),
        ({"weights": "imagenet", "include_top": False, "input_shape": (64, 64, 1)},
         r"3 channels"),
        ({"weights": None, "include_top": False, "pooling": "sum"}, r"pooling='sum'"),
        ({"weights": "imagenet", "classifier_activation": "relu"}, r"`None` and `softmax`"),
    ],
)
@pytest.mark.parametrize("builder", [resnet.ResNet50, resnet_v2.ResNet50V2])
def test_argument_errors(builder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        builder(**kwargs)


@pytest.mark.parametrize(
    ("builder", "file_name"),
    [
        (resnet.ResNet50, "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        (resnet_v2.ResNet50V2, "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5"),
    ],
)
def test_imagenet_weights_offline_fail_with_get_files_message(
    monkeypatch, tmp_path, builder, file_name
):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(OSError, match=f"Could not download .*/resnet/{file_name}") as info:
        builder(include_top=False, input_shape=SMALL)
    assert str(tmp_path / "models" / file_name) in str(info.value)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (resnet.preprocess_input, keras.applications.resnet.preprocess_input),
        (resnet_v2.preprocess_input, keras.applications.resnet_v2.preprocess_input),
    ],
)
def test_preprocess_input_matches_keras(ours, theirs):
    x = np.random.default_rng(2).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(ours(x.copy()), theirs(x.copy()), atol=1e-5)
