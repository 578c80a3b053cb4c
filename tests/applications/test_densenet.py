"""DenseNet121/169/201 against Keras 3's builders: layers, shapes, parameter counts,
summary, and DenseNet121's outputs with the same weights."""

from __future__ import annotations

import urllib.error
import urllib.request

import keras
import numpy as np
import pytest

from tests.applications.parity import first_difference, layer_table, random_weights, summary_lines
from torchseq.applications import densenet
from torchseq.utils import naming

pytestmark = pytest.mark.usefixtures("fast_keras_init", "one_thread")

SMALL = (32, 32, 3)  # the minimum size: cheap to build and run


def build_pair(variant, **kwargs):
    keras.backend.clear_session()
    naming.clear_session()
    kmodel = getattr(keras.applications, variant)(weights=None, **kwargs)
    return kmodel, getattr(densenet, variant)(weights=None, **kwargs)


@pytest.mark.parametrize(
    ("variant", "pooling"), [("DenseNet169", "avg"), ("DenseNet201", "max")]
)
def test_structure_matches_keras(variant, pooling):
    kmodel, model = build_pair(variant, include_top=False, input_shape=SMALL, pooling=pooling)
    assert model.name == kmodel.name
    assert first_difference(layer_table(model), layer_table(kmodel)) is None
    assert model.count_params() == kmodel.count_params()


def test_densenet121_same_weights_same_outputs():
    kwargs = {"include_top": True, "input_shape": SMALL, "classes": 7,
              "classifier_activation": None}
    kmodel, model = build_pair("DenseNet121", **kwargs)
    assert first_difference(layer_table(model), layer_table(kmodel)) is None
    assert first_difference(summary_lines(model), summary_lines(kmodel)) is None

    weights = random_weights(kmodel)
    kmodel.set_weights(weights)
    model.set_weights(weights)
    x = np.random.default_rng(1).uniform(-2.0, 2.0, (2, *SMALL)).astype("float32")
    expected = keras.ops.convert_to_numpy(kmodel(x, training=False))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": "imagenet21k"}, r"`weights` argument.*weights='imagenet21k'"),
        ({"weights": "imagenet", "classes": 10}, r"`classes` should be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (31, 64, 3)},
         r"at least 32x32"),
        ({"weights": "imagenet", "input_shape": SMALL}, r"should be \(224, 224, 3\)"),
        ({"weights": "imagenet", "include_top": False, "input_shape": (64, 64, 1)},
         r"3 channels"),
        ({"weights": None, "include_top": False, "pooling": "sum"}, r"pooling='sum'"),
        ({"weights": "imagenet", "classifier_activation": "relu"}, r"`None` and `softmax`"),
    ],
)
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        densenet.DenseNet121(**kwargs)


def test_imagenet_weights_offline_fail_with_get_files_message(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    file_name = "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(OSError, match=f"Could not download .*/densenet/{file_name}") as info:
        densenet.DenseNet121(include_top=False, input_shape=SMALL)
    assert str(tmp_path / "models" / file_name) in str(info.value)


def test_preprocess_input_matches_keras():
    x = np.random.default_rng(2).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(
        densenet.preprocess_input(x.copy()),
        keras.applications.densenet.preprocess_input(x.copy()),
        rtol=1e-6, atol=1e-5,
    )
