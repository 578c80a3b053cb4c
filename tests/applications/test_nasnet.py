"""NASNetMobile and NASNetLarge against Keras 3's builders: layers, shapes, parameter
counts and, for Mobile with the same weights, the same outputs.

Keras 3 refuses ``NASNetMobile`` on its torch backend, so the reference is its generic
``NASNet`` with Mobile's arguments."""

import contextlib

import keras
import keras.src.backend as keras_backend
import numpy as np
import pytest
import torch
from keras.src.applications import nasnet as keras_nasnet

from tests.applications.parity import assert_same_structure
from torchseq.applications import nasnet
from torchseq.initializers import _variance_scaling
from torchseq.layers.input_layer import Input
from torchseq.utils import naming

MOBILE_ARGS = {
    "penultimate_filters": 1056, "num_blocks": 4, "stem_block_filters": 32,
    "skip_reduction": False, "filter_multiplier": 2, "default_size": 224,
    "name": "nasnet_mobile",
}


@pytest.fixture(autouse=True)
def zero_truncated_normals(monkeypatch):
    """Fill truncated-normal (He) kernels with zeros on both sides: the structure does not
    depend on the values (the parity test sets its own), and torch's meta device cannot
    run the rejection loop."""

    def keras_zeros(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return torch.zeros(tuple(shape), dtype=torch.float32)

    monkeypatch.setattr(keras_backend.random, "truncated_normal", keras_zeros)
    monkeypatch.setattr(
        _variance_scaling, "_truncated_normal_", lambda out, mean, stddev, generator: out.zero_()
    )


@contextlib.contextmanager
def on_meta_device():
    """Build both models' weights on torch's meta device: names, types, shapes and
    parameter counts without allocating the weights."""
    with keras.device("meta"), torch.device("meta"):
        yield


def fresh_names():
    keras.backend.clear_session(free_memory=False)
    naming.clear_session()


def test_large_structure_matches_keras():
    fresh_names()
    kwargs = {"weights": None, "include_top": False, "input_shape": (32, 32, 3),
              "pooling": "max"}
    with on_meta_device():
        kmodel = keras.applications.NASNetLarge(**kwargs)
        tmodel = nasnet.NASNetLarge(**kwargs)
    assert_same_structure(kmodel, tmodel)


def test_mobile_same_weights_same_outputs():
    # An odd, non-square size checks the reductions' asymmetric padding and cropping.
    input_shape = (33, 40, 3)
    fresh_names()
    kmodel = keras_nasnet.NASNet(
        input_shape, weights=None, classes=7, classifier_activation=None, **MOBILE_ARGS
    )
    tmodel = nasnet.NASNetMobile(
        input_shape, weights=None, classes=7, classifier_activation=None
    )
    assert_same_structure(kmodel, tmodel)
    rng = np.random.default_rng(0)
    weights = [random_like(rng, weight) for weight in kmodel.get_weights()]
    kmodel.set_weights(weights)
    tmodel.set_weights(weights)
    x = rng.uniform(-1.0, 1.0, (2, *input_shape)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(tmodel.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


def random_like(rng, weight):
    """Kernels scaled by their fan-in; batch-normalisation weights and statistics (all
    1-D) in ``[0.5, 1]``, so the variances stay positive."""
    if weight.ndim == 1:
        return rng.uniform(0.5, 1.0, weight.shape).astype("float32")
    fan_in = np.prod(weight.shape[:-1])
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), weight.shape).astype("float32")


def test_custom_nasnet_on_an_input_tensor():
    kwargs = {"penultimate_filters": 96, "num_blocks": 1, "stem_block_filters": 8,
              "weights": None, "include_top": False, "pooling": "avg", "name": "tiny"}
    fresh_names()
    kmodel = keras_nasnet.NASNet(input_tensor=keras.Input((40, 48, 3)), **kwargs)
    tmodel = nasnet.NASNet(input_tensor=Input((40, 48, 3)), **kwargs)
    assert_same_structure(kmodel, tmodel)


def test_preprocess_input_matches_keras():
    x = np.random.default_rng(0).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        nasnet.preprocess_input(x.copy()),
        keras.applications.nasnet.preprocess_input(x.copy()), rtol=1e-6,
    )
    tensor = nasnet.preprocess_input(torch.tensor(x))
    np.testing.assert_allclose(tensor.numpy(), x / 127.5 - 1.0, rtol=1e-6)


def test_argument_errors():
    builder = nasnet.NASNetMobile
    with pytest.raises(ValueError, match="weights.*Received: weights='nowhere.h5'"):
        builder(weights="nowhere.h5")
    with pytest.raises(ValueError, match="classes.*1000.*Received: classes=10"):
        builder(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        builder(weights=None, include_top=False, input_shape=(64, 31, 3))
    with pytest.raises(ValueError, match=r"should be \(224, 224, 3\)"):
        builder(weights="imagenet", input_shape=(240, 240, 3))
    with pytest.raises(ValueError, match=r"should be \(331, 331, 3\)"):
        nasnet.NASNetLarge(weights="imagenet", input_shape=(224, 224, 3))
    with pytest.raises(ValueError, match="must be static.*None"):
        builder(weights="imagenet", include_top=False, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="3 channels"):
        builder(weights="imagenet", include_top=False, input_shape=(64, 64, 4))
    with pytest.raises(ValueError, match="pooling.*Received: pooling='sum'"):
        builder(weights=None, include_top=False, pooling="sum")
    with pytest.raises(ValueError, match="multiple of 24.*= 96.*penultimate_filters=100"):
        nasnet.NASNet(penultimate_filters=100, weights=None)
    with pytest.raises(ValueError, match="default_size=300"):
        nasnet.NASNet(default_size=300, include_top=False)


def test_classifier_activation_with_pretrained_weights(tmp_path):
    kwargs = {"penultimate_filters": 96, "num_blocks": 1, "stem_block_filters": 8,
              "input_shape": (32, 32, 3), "classes": 3}
    source = nasnet.NASNet(weights=None, **kwargs)
    path = str(tmp_path / "tiny.weights.h5")
    source.save_weights(path)
    with pytest.raises(ValueError, match="classifier_activation='relu'"):
        nasnet.NASNet(weights=path, classifier_activation="relu", **kwargs)
    naming.clear_session()
    loaded = nasnet.NASNet(weights=path, **kwargs)
    for expected, actual in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(actual, expected)
