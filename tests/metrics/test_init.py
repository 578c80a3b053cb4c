"""Tests for torchseq/metrics/__init__.py: get, resolve, resolve_accuracy, serialize, deserialize."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq import metrics

# (y_true shape, y_pred shape, accuracy chosen) -- Keras 3's rule, from the shapes alone
ACCURACY_RULE = [
    ((32, 1), (32, 1), "BinaryAccuracy"),
    ((32,), (32, 1), "BinaryAccuracy"),
    ((None, 1), (None, 1), "BinaryAccuracy"),
    ((32, 10), (32, 10), "CategoricalAccuracy"),
    ((32, 3), (32, 3), "CategoricalAccuracy"),  # multi-label targets too, as in Keras 3
    ((32,), (32, 10), "SparseCategoricalAccuracy"),
    ((32, 1), (32, 10), "SparseCategoricalAccuracy"),
    ((32, 5), (32, 5, 7), "SparseCategoricalAccuracy"),
    ((32, 5, 7), (32, 5, 7), "CategoricalAccuracy"),
    ((32, 5, 1), (32, 5, 1), "BinaryAccuracy"),
]


@pytest.mark.parametrize(("true_shape", "pred_shape", "expected"), ACCURACY_RULE, ids=str)
@pytest.mark.parametrize("name", ["accuracy", "acc", "Accuracy"])
def test_resolve_accuracy(name, true_shape, pred_shape, expected):
    metric = metrics.resolve(name, true_shape, pred_shape, loss="binary_crossentropy")
    assert (type(metric).__name__, metric.name) == (expected, name)
    assert type(metrics.resolve_accuracy(name, true_shape, pred_shape)).__name__ == expected


@pytest.mark.parametrize(("true_shape", "pred_shape", "expected"), ACCURACY_RULE, ids=str)
def test_resolve_accuracy_table_is_keras_rule(true_shape, pred_shape, expected):
    pytest.importorskip("keras")
    from keras.src.trainers.compile_utils import get_metric

    def sized(shape):
        return np.zeros([2 if dim is None else dim for dim in shape], "float32")

    assert type(get_metric("accuracy", sized(true_shape), sized(pred_shape))).__name__ == expected


def test_resolve_accuracy_errors():
    with pytest.raises(ValueError, match=r"name must be one of \['accuracy', 'acc'\].*name='auc'"):
        metrics.resolve_accuracy("auc", (2,), (2, 3))
    with pytest.raises(ValueError, match=r"y_true_shape must have rank >= 1.*received: \(\)"):
        metrics.resolve_accuracy("acc", (), (2, 3))
    with pytest.raises(TypeError, match=r"y_pred_shape must be a shape tuple, received: 3"):
        metrics.resolve_accuracy("acc", (2,), 3)
    with pytest.raises(ValueError, match=r"Expected a metric, received: None"):
        metrics.resolve(None, (2,), (2, 3))


def test_resolve_other_identifiers_through_get():
    metric = metrics.resolve("mse", (4, 1), (4, 1))
    assert (type(metric), metric.name) == (metrics.MeanSquaredError, "mse")


# Every Keras 3 name of a metric class torchseq has (keras.metrics ALL_OBJECTS_DICT), by class
NAMES = {
    "mse": "MeanSquaredError",
    "MSE": "MeanSquaredError",
    "mean_squared_error": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "MAE": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError",
    "MAPE": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError",
    "MSLE": "MeanSquaredLogarithmicError",
    "root_mean_squared_error": "RootMeanSquaredError",
    "log_cosh_error": "LogCoshError",
    "auc": "AUC",
    "AUC": "AUC",
    "f1_score": "F1Score",
    "f_beta_score": "FBetaScore",
    "accuracy": "Accuracy",
    "binary_accuracy": "BinaryAccuracy",
    "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy",
    "true_positives": "TruePositives",
    "sum": "Sum",
    "r2_score": "R2Score",
    "pearson_correlation": "PearsonCorrelation",
    "ConcordanceCorrelation": "ConcordanceCorrelation",
    "BinaryIoU": "BinaryIoU",
    "binary_io_u": "BinaryIoU",
}


@pytest.mark.parametrize(("name", "cls_name"), NAMES.items())
def test_get_by_name_is_named_as_keras_logs_it(name, cls_name):
    metric = metrics.get(name)
    assert (type(metric).__name__, metric.name) == (cls_name, name)


def test_names_are_exactly_keras_names_of_the_same_classes():
    pytest.importorskip("keras")
    from keras.src.metrics import ALL_OBJECTS_DICT

    ours = {name: cls.__name__ for name, cls in metrics._OBJECTS.items()}
    theirs = {name: cls.__name__ for name, cls in ALL_OBJECTS_DICT.items()}
    assert ours == {name: cls for name, cls in theirs.items() if cls in set(ours.values())}


def test_log_names_match_keras_compile():
    keras = pytest.importorskip("keras")
    requested = ["mse", "MeanAbsoluteError", "mean_absolute_percentage_error", "acc", "AUC"]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="mse", metrics=requested)
    logs = model.evaluate(np.zeros((4, 3)), np.ones((4, 1)), verbose=0, return_dict=True)
    ours = [metrics.resolve(name, (4, 1), (4, 1)).name for name in requested]
    assert sorted(ours) == sorted(set(logs) - {"loss"})


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(
        ValueError, match=r"Unknown metric: expected one of \[.*'mse'.*received: 'msee'"
    ):
        metrics.get("msee")
    with pytest.raises(ValueError, match=r"Unknown metric.*received: 'crossentropy'"):
        metrics.resolve("crossentropy", (2,), (2, 3))


def test_get_rejects_other_types():
    with pytest.raises(
        TypeError, match=r"metric must be a name, a config dict.*received: 3 of type int"
    ):
        metrics.get(3)


def meanPred(y_true, y_pred):
    return torch.mean(y_pred)


class NamedScore:
    name = "score"

    def __call__(self, y_true, y_pred):
        return y_pred


def test_get_wraps_callables_and_names_them_as_keras_compile():
    assert metrics.get(None) is None
    assert metrics.get(meanPred).name == "mean_pred"
    assert metrics.get(lambda y_true, y_pred: y_pred).name == "lambda"
    assert metrics.get(NamedScore()).name == "score"
    assert isinstance(metrics.get(meanPred), metrics.MeanMetricWrapper)
    instance = metrics.AUC()
    assert metrics.get(instance) is instance
    assert type(metrics.get(metrics.Recall)) is metrics.Recall


# (class, constructor arguments) for the config round trip
ROUND_TRIP = [
    (metrics.Mean, {"name": "m", "dtype": "float64"}),
    (metrics.Sum, {}),
    (metrics.BinaryAccuracy, {"threshold": 0.3}),
    (metrics.TopKCategoricalAccuracy, {"k": 2}),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 3, "from_sorted_ids": True}),
    (metrics.Precision, {"thresholds": [0.2, 0.4], "top_k": 2, "class_id": 1}),
    (metrics.Recall, {"thresholds": 0.7}),
    (metrics.TrueNegatives, {"thresholds": [0.1, 0.9]}),
    (metrics.AUC, {"num_thresholds": 11, "curve": "PR", "summation_method": "minoring"}),
    (metrics.AUC, {"thresholds": [0.3, 0.6], "multi_label": True, "label_weights": [1.0, 2.0]}),
    (metrics.F1Score, {"average": "macro", "threshold": 0.4}),
    (metrics.FBetaScore, {"beta": 2.0}),
    (metrics.RootMeanSquaredError, {}),
    (metrics.CosineSimilarity, {"axis": -1}),
]


@pytest.mark.parametrize(("cls", "kwargs"), ROUND_TRIP, ids=lambda x: getattr(x, "__name__", ""))
def test_serialize_round_trip(cls, kwargs):
    metric = cls(**kwargs)
    config = metrics.serialize(metric)
    assert (config["module"], config["class_name"]) == ("keras.metrics", cls.__name__)
    clone = metrics.get(config)
    assert type(clone) is cls
    assert clone.get_config() == metric.get_config()


def test_deserialize_a_wrapped_user_function_with_custom_objects():
    config = metrics.serialize(metrics.get(meanPred))
    with pytest.raises(ValueError, match=r"Unknown metric.*received: 'meanPred'"):
        metrics.deserialize(config)
    clone = metrics.deserialize(config, custom_objects={"meanPred": meanPred})
    assert (clone.name, clone._fn) == ("mean_pred", meanPred)


def test_every_keras_metrics_name_is_exported():
    keras = pytest.importorskip("keras")
    public = {name for name in dir(keras.metrics) if not name.startswith("_")}
    assert public <= set(metrics.__all__)
    assert all(hasattr(metrics, name) for name in metrics.__all__)
    assert callable(metrics.hinge)  # the function, not a submodule of that name


def test_a_name_is_a_metric_class_and_a_function_config_a_function():
    assert type(metrics.deserialize("binary_crossentropy")) is metrics.BinaryCrossentropy
    assert type(metrics.deserialize("mean_squared_error")) is metrics.MeanSquaredError
    config = metrics.serialize(metrics.binary_crossentropy)
    assert metrics.deserialize(config) is metrics.binary_crossentropy
    wrapper = metrics.MeanMetricWrapper(metrics.pearson_correlation, axis=0)
    clone = metrics.deserialize(metrics.serialize(wrapper))
    assert (clone._fn, clone._fn_kwargs) == (metrics.pearson_correlation, {"axis": 0})
    rebuilt = metrics.MeanMetricWrapper.from_config({"fn": "poisson"})
    assert rebuilt._fn is metrics.poisson
