"""EfficientNetB0..B7 against Keras 3's builders: layers, shapes, parameter counts and,
for B0 with the same weights, the same outputs."""

import keras
import keras.src.backend as keras_backend
import numpy as np
import pytest
import torch

from tests.applications.parity import assert_same_structure
from torchseq.applications import efficientnet
from torchseq.initializers import _variance_scaling
from torchseq.layers.input_layer import Input
from torchseq.utils import naming

VARIANTS = [f"EfficientNetB{index}" for index in range(8)]


@pytest.fixture(autouse=True)
def zero_truncated_normals(monkeypatch):
    """Fill truncated-normal kernels with zeros on both sides: the structure does not depend
    on the values (parity tests set their own), and sampling B7's 64M weights twice would
    dominate this file's time."""

    def keras_zeros(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return torch.zeros(tuple(shape), dtype=torch.float32)

    monkeypatch.setattr(keras_backend.random, "truncated_normal", keras_zeros)
    monkeypatch.setattr(
        _variance_scaling, "_truncated_normal_", lambda out, mean, stddev, generator: out.zero_()
    )


def build_pair(variant, **kwargs):
    keras.backend.clear_session()
    naming.clear_session()
    kmodel = getattr(keras.applications, variant)(weights=None, **kwargs)
    return kmodel, getattr(efficientnet, variant)(weights=None, **kwargs)


@pytest.mark.parametrize("variant", VARIANTS)
def test_structure_matches_keras(variant):
    kmodel, tmodel = build_pair(
        variant, include_top=False, input_shape=(32, 32, 3), pooling="max"
    )
    assert_same_structure(kmodel, tmodel)


@pytest.mark.parametrize("include_top", [True, False])
def test_b0_same_weights_same_outputs(include_top):
    # An odd, non-square size with the classifier checks the stem's asymmetric padding.
    input_shape = (33, 40, 3) if include_top else (32, 32, 3)
    kwargs = {"input_shape": input_shape, "include_top": include_top}
    if include_top:
        kwargs.update(classes=7, classifier_activation=None)
    kmodel, tmodel = build_pair("EfficientNetB0", **kwargs)
    assert_same_structure(kmodel, tmodel)
    randomize_weights(kmodel)
    tmodel.set_weights(kmodel.get_weights())
    x = np.random.default_rng(1).uniform(0.0, 255.0, (2, *input_shape)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(tmodel.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


def randomize_weights(kmodel, seed=0):
    """Random kernels scaled by their fan-in, and non-trivial normalisation statistics."""
    rng = np.random.default_rng(seed)
    for layer in kmodel.layers:
        weights = layer.get_weights()
        if isinstance(layer, keras.layers.BatchNormalization):
            shape = weights[0].shape
            weights = [
                rng.uniform(0.5, 1.5, shape), rng.normal(0.0, 0.1, shape),
                rng.normal(0.0, 0.1, shape), rng.uniform(0.5, 1.5, shape),
            ]
        elif isinstance(layer, keras.layers.Normalization):
            mean, variance, count = weights
            weights = [
                rng.uniform(0.3, 0.6, mean.shape), rng.uniform(0.04, 0.06, variance.shape), count
            ]
        else:
            weights = [random_like(rng, weight, layer) for weight in weights]
        layer.set_weights(weights)


def random_like(rng, weight, layer):
    if weight.ndim == 1:
        return rng.normal(0.0, 0.1, weight.shape)
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        fan_in = np.prod(weight.shape[:2])
    else:
        fan_in = np.prod(weight.shape[:-1])
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), weight.shape)


def test_custom_blocks_and_input_tensor():
    blocks = [
        {"kernel_size": 3, "repeats": 2, "filters_in": 32, "filters_out": 16,
         "expand_ratio": 1, "id_skip": True, "strides": 1, "se_ratio": 0.25},
        {"kernel_size": 5, "repeats": 1, "filters_in": 16, "filters_out": 24,
         "expand_ratio": 6, "id_skip": False, "strides": 2},
    ]
    keras.backend.clear_session()
    kmodel = keras.src.applications.efficientnet.EfficientNet(
        0.5, 1.0, 64, blocks_args=blocks, weights=None, include_top=False,
        input_tensor=keras.Input((48, 48, 3)), activation="relu", name="tiny",
    )
    tmodel = efficientnet.EfficientNet(
        0.5, 1.0, 64, blocks_args=blocks, weights=None, include_top=False,
        input_tensor=Input((48, 48, 3)), activation="relu", name="tiny",
    )
    assert_same_structure(kmodel, tmodel)


def test_preprocess_input_is_the_identity():
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    assert efficientnet.preprocess_input(x) is x
    np.testing.assert_array_equal(
        efficientnet.preprocess_input(x), keras.applications.efficientnet.preprocess_input(x)
    )


def test_argument_errors():
    builder = efficientnet.EfficientNetB0
    with pytest.raises(ValueError, match="weights.*Received: weights='nowhere.h5'"):
        builder(weights="nowhere.h5")
    with pytest.raises(ValueError, match="classes.*1000.*Received: classes=10"):
        builder(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        builder(weights=None, include_top=False, input_shape=(64, 31, 3))
    with pytest.raises(ValueError, match=r"should be \(224, 224, 3\)"):
        efficientnet.EfficientNetB0(weights="imagenet", input_shape=(240, 240, 3))
    with pytest.raises(ValueError, match=r"should be \(600, 600, 3\)"):
        efficientnet.EfficientNetB7(weights="imagenet", input_shape=(224, 224, 3))
    with pytest.raises(ValueError, match="3 channels"):
        builder(weights="imagenet", include_top=False, input_shape=(64, 64, 4))
    with pytest.raises(ValueError, match="pooling.*Received: pooling='sum'"):
        builder(weights=None, include_top=False, pooling="sum")
    empty_stage = {"kernel_size": 3, "repeats": 0, "filters_in": 32, "filters_out": 16,
                   "expand_ratio": 1, "id_skip": True, "strides": 1, "se_ratio": 0.25}
    with pytest.raises(ValueError, match="must be > 0. Received: repeats=0"):
        efficientnet.EfficientNet(
            1.0, 1.0, 64, weights=None, include_top=False, blocks_args=[empty_stage]
        )
    with pytest.raises(TypeError, match="blocks_args"):
        efficientnet.EfficientNet(1.0, 1.0, 64, weights=None, blocks_args=[{"size": 3}])


def test_classifier_activation_with_pretrained_weights(tmp_path):
    source = efficientnet.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=3)
    path = str(tmp_path / "b0.weights.h5")
    source.save_weights(path)
    with pytest.raises(ValueError, match="classifier_activation='relu'"):
        efficientnet.EfficientNetB0(
            weights=path, input_shape=(32, 32, 3), classes=3, classifier_activation="relu"
        )
    loaded = efficientnet.EfficientNetB0(weights=path, input_shape=(32, 32, 3), classes=3)
    for expected, actual in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(actual, expected)
