"""Tests for torchseq.metrics.accuracy: parity with keras.metrics and argument checks."""

from __future__ import annotations

import pytest
import torch

from tests.metrics import MetricCase, check_parity
from torchseq import metrics

CASES = [
    MetricCase("Accuracy", {}, "exact"),
    MetricCase("BinaryAccuracy", {}, "binary"),
    MetricCase("BinaryAccuracy", {"threshold": 0.7}, "binary"),
    MetricCase("BinaryAccuracy", {}, "binary_flat_labels"),
    MetricCase("BinaryAccuracy", {}, "multilabel"),
    MetricCase("CategoricalAccuracy", {}, "categorical"),
    MetricCase("CategoricalAccuracy", {}, "categorical_bool"),
    MetricCase("SparseCategoricalAccuracy", {}, "sparse"),
    MetricCase("SparseCategoricalAccuracy", {}, "sparse_column"),
    MetricCase("SparseCategoricalAccuracy", {}, "sparse_temporal"),
    MetricCase("TopKCategoricalAccuracy", {"k": 3}, "categorical"),
    MetricCase("TopKCategoricalAccuracy", {"k": 2}, "categorical"),
    MetricCase("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    MetricCase("SparseTopKCategoricalAccuracy", {"k": 1}, "sparse_column"),
    MetricCase("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


# (class, default name)
DEFAULT_NAMES = [
    (metrics.Accuracy, "accuracy"),
    (metrics.BinaryAccuracy, "binary_accuracy"),
    (metrics.CategoricalAccuracy, "categorical_accuracy"),
    (metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy"),
    (metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy"),
    (metrics.SparseTopKCategoricalAccuracy, "sparse_top_k_categorical_accuracy"),
]


@pytest.mark.parametrize(("cls", "name"), DEFAULT_NAMES, ids=lambda x: getattr(x, "__name__", x))
def test_default_names_are_fixed_as_in_keras(cls, name):
    assert cls().name == name
    assert cls().name == name  # a fixed default, not made unique


def test_ties_at_the_kth_score_count_as_hits():
    y_pred = torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.4, 0.4]])
    values = metrics.sparse_top_k_categorical_accuracy(torch.tensor([1, 1]), y_pred, k=1)
    assert values.tolist() == [1.0, 1.0]


def test_k_beyond_the_number_of_classes_makes_every_label_a_hit():
    metric = metrics.TopKCategoricalAccuracy()  # k=5, 3 classes
    assert metric(torch.eye(3), torch.rand(3, 3)).tolist() == 1.0


def test_functions_return_per_sample_values():
    y_true = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    y_pred = torch.tensor([[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]])
    assert metrics.categorical_accuracy(y_true, y_pred).tolist() == [1.0, 0.0, 1.0]


# (class, kwargs, error, message)
BAD_ARGUMENTS = [
    (metrics.TopKCategoricalAccuracy, {"k": 0}, ValueError, r"k must be a positive integer.*k=0"),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 1.5}, TypeError, r"k=1.5 of type float"),
    (metrics.BinaryAccuracy, {"threshold": "high"}, TypeError, r"threshold='high'"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("cls", "labels"),
    [
        (metrics.CategoricalAccuracy, torch.eye(3)[[0, 2, 1, 1]]),
        (metrics.SparseCategoricalAccuracy, torch.tensor([0, 2, 1, 1])),
        (metrics.SparseCategoricalAccuracy, torch.tensor([[0.0], [2.0], [1.0], [0.5]])),
    ],
    ids=["one_hot", "labels", "float_label_column"],
)
def test_unweighted_batches_count_the_same_hits_as_the_per_sample_path(cls, labels):
    scores = torch.tensor([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7], [0.3, 0.6, 0.1], [0.2, 0.2, 0.6]])
    unweighted, per_sample = cls(), cls()
    for _ in range(2):
        unweighted.update_state(labels, scores)  # ties go to the first class, as argmax does
        per_sample.update_state(labels, scores, sample_weight=torch.ones(4))
    assert float(unweighted.result()) == pytest.approx(float(per_sample.result()))
    assert float(unweighted.count) == 8.0
