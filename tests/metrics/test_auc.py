"""Tests for torchseq.metrics.auc: parity with keras.metrics.AUC and argument checks."""

from __future__ import annotations

import pytest
import torch

from tests.metrics import MetricCase, check_parity
from torchseq import metrics

UNEVEN = [0.3, 0.45, 0.8]

CASES = [
    MetricCase("AUC", {}, "binary"),
    MetricCase("AUC", {}, "multilabel"),
    MetricCase("AUC", {"curve": "PR"}, "binary"),
    MetricCase("AUC", {"curve": "pr", "summation_method": "minoring"}, "binary"),
    MetricCase("AUC", {"summation_method": "majoring"}, "binary"),
    MetricCase("AUC", {"curve": "PRGAIN"}, "binary"),
    MetricCase("AUC", {"num_thresholds": 7}, "binary"),
    MetricCase("AUC", {"thresholds": [0.25, 0.5, 0.75]}, "binary"),
    MetricCase("AUC", {"thresholds": UNEVEN}, "binary"),
    MetricCase("AUC", {"thresholds": UNEVEN, "curve": "PR"}, "multilabel"),
    MetricCase("AUC", {"from_logits": True}, "logits"),
    MetricCase("AUC", {"label_weights": [0.5, 1.0, 2.0, 0.0]}, "multilabel"),
    MetricCase("AUC", {"multi_label": True}, "multilabel"),
    MetricCase("AUC", {"multi_label": True, "curve": "PR"}, "multilabel"),
    MetricCase("AUC", {"multi_label": True, "thresholds": UNEVEN}, "multilabel"),
    MetricCase(
        "AUC",
        {"multi_label": True, "num_labels": 4, "label_weights": [0.5, 1.0, 2.0, 0.0]},
        "multilabel",
    ),
]

# (class, kwargs, error, message)
BAD_ARGUMENTS = [
    (metrics.AUC, {"curve": "LIFT"}, ValueError, r"curve must be one of \['ROC', 'PR', 'PRGAIN'\]"),
    (metrics.AUC, {"summation_method": "mean"}, ValueError, r"'interpolation', 'majoring'"),
    (metrics.AUC, {"num_thresholds": 1}, ValueError, r"num_thresholds must be an integer > 1"),
    (metrics.AUC, {"num_labels": 3}, ValueError, r"num_labels is only used with multi_label"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_automatic_names_are_made_unique_as_in_keras():
    assert [metrics.AUC().name, metrics.AUC().name] == ["auc", "auc_1"]


def test_multi_label_state_takes_its_size_from_the_first_batch():
    metric = metrics.AUC(multi_label=True).to(torch.float64)
    metric.update_state(torch.ones(2, 5), torch.rand(2, 5))
    assert metric.true_positives.shape == (200, 5)
    assert metric.true_positives.dtype == torch.float64


def test_reset_state_keeps_the_thresholds_and_label_weights():
    metric = metrics.AUC(label_weights=[1.0, 2.0])
    metric.update_state(torch.ones(2, 2), torch.rand(2, 2))
    metric.reset_state()
    assert metric.true_positives.abs().sum() == 0
    assert metric._threshold_values[-1] > 1.0
    assert metric.label_weights.tolist() == [1.0, 2.0]


def test_bad_inputs_name_the_shape():
    with pytest.raises(ValueError, match=r"multi_label=True, received shape \(3,\)"):
        metrics.AUC(multi_label=True).update_state(torch.ones(3), torch.ones(3))
