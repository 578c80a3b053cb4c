"""Tests for torchseq.metrics.confusion: counts, Precision, Recall; parity with keras.metrics."""

from __future__ import annotations

import pytest
import torch

from tests.metrics import MetricCase, check_parity
from torchseq import metrics

EVEN = [0.0, 0.25, 0.5, 0.75, 1.0]  # evenly spaced: Keras's bucketed update
UNEVEN = [0.3, 0.45, 0.8]

CASES = [
    *[
        MetricCase(name, kwargs, "binary")
        for name in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives")
        for kwargs in ({}, {"thresholds": UNEVEN}, {"thresholds": EVEN})
    ],
    *[
        case
        for name in ("Precision", "Recall")
        for case in (
            MetricCase(name, {}, "binary"),
            MetricCase(name, {}, "binary_flat_labels"),
            MetricCase(name, {"thresholds": UNEVEN}, "binary"),
            MetricCase(name, {"thresholds": EVEN}, "binary"),
            MetricCase(name, {"thresholds": 0.35}, "multilabel"),
            MetricCase(name, {"top_k": 2}, "multilabel"),
            MetricCase(name, {"class_id": 1}, "multilabel"),
            MetricCase(name, {"top_k": 2, "class_id": 3}, "multilabel"),
        )
    ],
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


def test_automatic_names_are_made_unique_as_in_keras():
    assert [metrics.Precision().name, metrics.Precision().name] == ["precision", "precision_1"]
    assert [metrics.Recall().name, metrics.TruePositives().name] == ["recall", "true_positives"]


def test_several_thresholds_give_one_value_each():
    metric = metrics.Precision(thresholds=[0.2, 0.6])
    metric.update_state(torch.tensor([1.0, 0.0, 1.0]), torch.tensor([0.5, 0.3, 0.9]))
    torch.testing.assert_close(metric.result(), torch.tensor([2 / 3, 1.0]))


def test_metric_state_is_not_in_the_state_dict():
    assert metrics.Precision(thresholds=[0.1, 0.2]).state_dict() == {}


# (class, kwargs, error, message)
BAD_ARGUMENTS = [
    (metrics.Precision, {"thresholds": [0.5, 1.5]}, ValueError, r"thresholds must be .* \[0, 1\]"),
    (metrics.Recall, {"top_k": 0}, ValueError, r"top_k must be >= 1, received: top_k=0"),
    (metrics.Recall, {"class_id": "a"}, TypeError, r"class_id='a' of type str"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_bad_inputs_name_the_shapes():
    with pytest.raises(ValueError, match=r"with class_id, y_pred must be 2D .* shape \(3,\)"):
        metrics.Precision(class_id=0).update_state(torch.ones(3), torch.ones(3))
