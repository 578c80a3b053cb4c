"""Tests for torchseq.metrics.probabilistic and torchseq.metrics.hinges: parity with Keras."""

from __future__ import annotations

import numpy as np
import pytest

from tests.metrics import MetricCase, check_parity
from torchseq import metrics

CASES = [
    MetricCase("BinaryCrossentropy", {}, "binary"),
    MetricCase("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "logits"),
    MetricCase("BinaryCrossentropy", {}, "multilabel"),
    MetricCase("CategoricalCrossentropy", {}, "categorical"),
    MetricCase("CategoricalCrossentropy", {"label_smoothing": 0.2}, "categorical"),
    MetricCase("SparseCategoricalCrossentropy", {}, "sparse"),
    MetricCase("SparseCategoricalCrossentropy", {}, "sparse_column"),
    MetricCase("SparseCategoricalCrossentropy", {}, "sparse_temporal"),
    MetricCase("SparseCategoricalCrossentropy", {"ignore_class": 1}, "sparse"),
    MetricCase("KLDivergence", {}, "categorical"),
    MetricCase("Poisson", {}, "multilabel"),
    MetricCase("Hinge", {}, "binary"),
    MetricCase("Hinge", {}, "regression"),
    MetricCase("SquaredHinge", {}, "multilabel"),
    MetricCase("CategoricalHinge", {}, "categorical"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


# The strings Keras 3.15's compile accepts, and the name its logs give each.
COMPILE_NAMES = [
    ("binary_crossentropy", metrics.BinaryCrossentropy),
    ("bce", metrics.BinaryCrossentropy),
    ("BinaryCrossentropy", metrics.BinaryCrossentropy),
    ("categorical_crossentropy", metrics.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalCrossentropy),
    ("hinge", metrics.Hinge),
    ("squared_hinge", metrics.SquaredHinge),
    ("categorical_hinge", metrics.CategoricalHinge),
    ("kl_divergence", metrics.KLDivergence),
    ("poisson", metrics.Poisson),
]


@pytest.mark.parametrize(("identifier", "cls"), COMPILE_NAMES, ids=lambda x: getattr(x, "__name__", x))
def test_get_resolves_keras_names(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric) is cls
    assert metric.name == identifier


@pytest.mark.parametrize("identifier", ["kld", "kullback_leibler_divergence", "logcosh"])
def test_names_keras_3_rejects_are_rejected(identifier):
    with pytest.raises(ValueError, match=identifier):
        metrics.get(identifier)


@pytest.mark.parametrize("cls", [cls for _, cls in COMPILE_NAMES[2:]], ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    metric = cls()
    config = metrics.serialize(metric)
    again = metrics.deserialize(config)
    assert type(again) is cls
    assert again.get_config() == metric.get_config()


def test_compiled_metrics_match_keras_logs():
    keras = pytest.importorskip("keras")
    import torchseq

    names = [name for name, _ in COMPILE_NAMES if name not in ("sparse_categorical_crossentropy",
                                                                   "BinaryCrossentropy")]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 20)]
    results = []
    for lib in (keras, torchseq):
        inputs = lib.Input((4,))
        model = lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(inputs))
        model.compile("sgd", "categorical_crossentropy", metrics=names)
        results.append(model)
    results[1].set_weights(results[0].get_weights())
    theirs, ours = (m.evaluate(x, y, batch_size=8, return_dict=True, verbose=0) for m in results)
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-5, err_msg=key)


def test_sparse_crossentropy_metric_in_compile_matches_keras():
    keras = pytest.importorskip("keras")
    import torchseq

    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 4)).astype("float32")
    y = rng.integers(0, 3, 20)
    models = []
    for lib in (keras, torchseq):
        inputs = lib.Input((4,))
        model = lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(inputs))
        model.compile("sgd", "mse", metrics=["sparse_categorical_crossentropy"])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    sample_weight = rng.uniform(size=20).astype("float32")
    keras_model, ours = models
    keras_model.compile("sgd", "sparse_categorical_crossentropy",
                        weighted_metrics=["sparse_categorical_crossentropy"])
    ours.compile("sgd", "sparse_categorical_crossentropy",
                 weighted_metrics=["sparse_categorical_crossentropy"])
    theirs = keras_model.evaluate(x, y, sample_weight=sample_weight, return_dict=True, verbose=0)
    mine = ours.evaluate(x, y, sample_weight=sample_weight, return_dict=True, verbose=0)
    assert sorted(mine) == sorted(theirs)
    for key, value in theirs.items():
        np.testing.assert_allclose(mine[key], value, rtol=1e-5, err_msg=key)
