"""ConvNeXtTiny..XLarge against Keras 3's builders: layers, shapes, parameter counts and,
for Tiny with the same weights, the same outputs."""

import contextlib

import keras
import numpy as np
import pytest
import torch
from keras.src.initializers import random_initializers as keras_random_initializers

from tests.applications.parity import assert_same_structure
from torchseq.applications import convnext
from torchseq.initializers import _variance_scaling
from torchseq.layers.input_layer import Input
from torchseq.utils import naming

VARIANTS = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"]


@pytest.fixture(autouse=True)
def zero_variance_scaling(monkeypatch):
    """Fill Glorot (variance-scaling) kernels with zeros on both sides: the structure does
    not depend on the values (parity tests set their own), and sampling is most of a
    build's time."""

    def zeros(self, shape, dtype=None):
        return torch.zeros(tuple(shape), dtype=torch.float32)

    monkeypatch.setattr(keras_random_initializers.VarianceScaling, "__call__", zeros)
    monkeypatch.setattr(_variance_scaling.VarianceScaling, "__call__", zeros)


@contextlib.contextmanager
def on_meta_device():
    """Build both models' weights on torch's meta device: names, types, shapes and
    parameter counts without allocating XLarge's 350M weights twice."""
    with keras.device("meta"), torch.device("meta"):
        yield


def build_pair(variant, **kwargs):
    keras.backend.clear_session(free_memory=False)
    naming.clear_session()
    kmodel = getattr(keras.applications, variant)(weights=None, **kwargs)
    return kmodel, getattr(convnext, variant)(weights=None, **kwargs)


@pytest.mark.parametrize("variant", VARIANTS[1:])  # Tiny: in the parity test below
def test_structure_matches_keras(variant):
    with on_meta_device():
        kmodel, tmodel = build_pair(
            variant, include_top=False, input_shape=(32, 32, 3), pooling="max"
        )
    assert_same_structure(kmodel, tmodel)


def test_tiny_same_weights_same_outputs():
    # The headless ending (pooling, then an unnamed LayerNormalization) is checked on a
    # small ConvNeXt below.
    kmodel, tmodel = build_pair(
        "ConvNeXtTiny", input_shape=(32, 32, 3), classes=7, classifier_activation=None
    )
    assert_same_structure(kmodel, tmodel)
    rng = np.random.default_rng(0)
    weights = [random_like(rng, weight) for weight in kmodel.get_weights()]
    kmodel.set_weights(weights)
    tmodel.set_weights(weights)
    x = rng.uniform(0.0, 255.0, (2, 32, 32, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(tmodel.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


def random_like(rng, weight):
    """Kernels scaled by their fan-in (so activations stay O(1) through 18 blocks); biases,
    norms and layer scales around their usual values."""
    if weight.ndim == 1:
        return rng.normal(0.5, 0.2, weight.shape).astype("float32")
    fan_in = np.prod(weight.shape[:-1]) if weight.ndim == 2 else np.prod(weight.shape[:3])
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), weight.shape).astype("float32")


def test_stochastic_depth_layer_scale_and_input_tensor():
    kwargs = {
        "depths": [1, 2, 1, 1], "projection_dims": [8, 16, 24, 32], "drop_path_rate": 0.3,
        "include_top": False, "include_preprocessing": False, "pooling": "avg",
        "name": "mini",
    }
    keras.backend.clear_session(free_memory=False)
    kmodel = keras.src.applications.convnext.ConvNeXt(
        input_tensor=keras.Input((64, 48, 3)), **kwargs
    )
    tmodel = convnext.ConvNeXt(input_tensor=Input((64, 48, 3)), **kwargs)
    assert_same_structure(kmodel, tmodel)
    rng = np.random.default_rng(1)
    weights = [random_like(rng, weight) for weight in kmodel.get_weights()]
    kmodel.set_weights(weights)
    tmodel.set_weights(weights)
    x = rng.normal(0.0, 1.0, (2, 64, 48, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(tmodel.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)

    drop = tmodel.get_layer("mini_stage_3_block_0_stochastic_depth")
    assert drop.get_config()["drop_path_rate"] == pytest.approx(0.3)
    ones = torch.ones(64, 2, 2, 4)
    assert torch.equal(drop(ones), ones)
    kept = drop(ones, training=True)
    np.testing.assert_allclose(kept.unique().numpy(), [0.0, 1.0 / 0.7], rtol=1e-6)
    assert bool((kept == kept[:, :1, :1, :1]).all())  # one decision per sample

    scale = tmodel.get_layer("mini_stage_0_block_0_layer_scale")
    assert scale.get_config()["projection_dim"] == 8


def test_without_layer_scale_or_preprocessing():
    kwargs = {
        "depths": [1, 1, 1, 1], "projection_dims": [8, 8, 8, 8],
        "layer_scale_init_value": None, "include_top": False,
        "input_shape": (32, 32, 1), "name": "plain",
    }
    keras.backend.clear_session(free_memory=False)
    naming.clear_session()
    kmodel = keras.src.applications.convnext.ConvNeXt(**kwargs)
    tmodel = convnext.ConvNeXt(**kwargs)
    assert_same_structure(kmodel, tmodel)
    assert "LayerScale" not in {type(layer).__name__ for layer in tmodel.layers}


def test_preprocess_input_is_the_identity():
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    assert convnext.preprocess_input(x) is x
    np.testing.assert_array_equal(
        convnext.preprocess_input(x), keras.applications.convnext.preprocess_input(x)
    )


def test_argument_errors():
    builder = convnext.ConvNeXtTiny
    with pytest.raises(ValueError, match="weights.*Received: weights='nowhere.h5'"):
        builder(weights="nowhere.h5")
    with pytest.raises(ValueError, match="classes.*1000.*Received: classes=10"):
        builder(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        builder(weights=None, include_top=False, input_shape=(64, 31, 3))
    with pytest.raises(ValueError, match=r"should be \(224, 224, 3\)"):
        builder(weights="imagenet", input_shape=(240, 240, 3))
    with pytest.raises(ValueError, match="3 channels"):
        builder(weights="imagenet", include_top=False, input_shape=(64, 64, 4))
    with pytest.raises(ValueError, match="pooling.*Received: pooling='sum'"):
        builder(weights=None, include_top=False, pooling="sum")
    with pytest.raises(ValueError, match="must contain.*'convnext_tiny'.*name='mine'"):
        builder(weights="imagenet", name="mine")
    with pytest.raises(ValueError, match=r"Expected depths: \[3, 3, 9, 3\], received: \[1"):
        convnext.ConvNeXt(
            [1, 1, 1, 1], [96, 192, 384, 768], weights="imagenet",
            weights_name="convnext_tiny", name="convnext_tiny",
        )


def test_classifier_activation_with_pretrained_weights(tmp_path):
    kwargs = {"depths": [1, 1, 1, 1], "projection_dims": [8, 8, 8, 8],
              "input_shape": (32, 32, 3), "classes": 3}
    source = convnext.ConvNeXt(weights=None, **kwargs)
    path = str(tmp_path / "mini.weights.h5")
    source.save_weights(path)
    with pytest.raises(ValueError, match="classifier_activation='relu'"):
        convnext.ConvNeXt(weights=path, classifier_activation="relu", **kwargs)
    naming.clear_session()
    loaded = convnext.ConvNeXt(weights=path, **kwargs)
    for expected, actual in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(actual, expected)
