"""Tests for torchseq.metrics.sensitivity_specificity: parity with keras.metrics, configs, errors."""

from __future__ import annotations

import pytest
import torch

from tests.metrics import MetricCase, check_config_round_trip, check_parity
from torchseq import metrics

# class name -> the constructor argument holding the required level
CLASSES = {
    "SensitivityAtSpecificity": "specificity",
    "SpecificityAtSensitivity": "sensitivity",
    "PrecisionAtRecall": "recall",
    "RecallAtPrecision": "precision",
}

CASES = [
    case
    for name, level in CLASSES.items()
    for case in (
        MetricCase(name, {level: 0.5}, "binary"),
        MetricCase(name, {level: 0.8}, "binary_flat_labels"),
        MetricCase(name, {level: 0.0}, "binary"),
        MetricCase(name, {level: 1.0}, "binary"),
        MetricCase(name, {level: 0.6, "num_thresholds": 1}, "binary"),
        MetricCase(name, {level: 0.6, "num_thresholds": 2}, "binary"),
        MetricCase(name, {level: 0.4, "num_thresholds": 7}, "binary"),
        MetricCase(name, {level: 0.7}, "logits"),  # scores outside [0, 1]
        MetricCase(name, {level: 0.5, "class_id": 2}, "multilabel"),
    )
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


@pytest.mark.parametrize(
    ("cls", "weights", "expected"),
    [
        (metrics.SensitivityAtSpecificity, [1, 1, 2, 2, 1], 1 / 3),
        (metrics.SpecificityAtSensitivity, [1, 1, 2, 2, 2], 0.5),
        (metrics.PrecisionAtRecall, [2, 2, 2, 1, 1], 1 / 3),
    ],
)
def test_weighted_examples_from_keras_docs(cls, weights, expected):
    metric = cls(0.5)
    y_true, y_pred = torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0.0, 0.3, 0.8, 0.3, 0.8])
    metric.update_state(y_true, y_pred, sample_weight=torch.tensor(weights))
    assert metric.result().item() == pytest.approx(expected)
    metric.reset_state()
    assert all(v.abs().sum() == 0 for v in metric.variables)
    assert metric.result().item() == 0.0


def test_unreachable_level_gives_zero():
    metric = metrics.RecallAtPrecision(1.0)
    metric.update_state(torch.tensor([0, 1]), torch.tensor([0.9, 0.1]))
    assert metric.result().item() == 0.0


def test_names_state_and_direction_follow_keras():
    metric = metrics.SensitivityAtSpecificity(0.5, num_thresholds=5)
    assert metric.name == "sensitivity_at_specificity"
    assert metric.thresholds == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert [v.shape for v in metric.variables] == [(5,)] * 4
    assert metrics.RecallAtPrecision(0.1).precision == 0.1
    assert all(getattr(metrics, name)._direction == "up" for name in CLASSES)


@pytest.mark.parametrize("name", CLASSES)
def test_config_round_trip(name):
    level = CLASSES[name]
    check_config_round_trip(
        getattr(metrics, name)(**{level: 0.25}, num_thresholds=11, class_id=1, name="m")
    )


# (class, kwargs, error, message)
BAD_ARGUMENTS = [
    (metrics.SensitivityAtSpecificity, {"specificity": 1.5}, ValueError, r"SensitivityAtSpecificity: specificity must be in \[0, 1\], received: specificity=1.5"),
    (metrics.SpecificityAtSensitivity, {"sensitivity": -0.1}, ValueError, r"sensitivity must be in \[0, 1\], received: sensitivity=-0.1"),
    (metrics.PrecisionAtRecall, {"recall": "high"}, TypeError, r"PrecisionAtRecall: recall must be a number in \[0, 1\], received: recall='high' of type str"),
    (metrics.RecallAtPrecision, {"precision": 0.5, "num_thresholds": 0}, ValueError, r"RecallAtPrecision: num_thresholds must be an integer > 0, received: num_thresholds=0"),
    (metrics.RecallAtPrecision, {"precision": 0.5, "num_thresholds": 2.0}, TypeError, r"num_thresholds=2.0 of type float"),
    (metrics.PrecisionAtRecall, {"recall": 0.5, "class_id": -1}, ValueError, r"class_id must be >= 0, received: class_id=-1"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_bad_inputs_name_the_shape():
    with pytest.raises(ValueError, match=r"with class_id, y_pred must be 2D .* shape \(3,\)"):
        metrics.PrecisionAtRecall(0.5, class_id=0).update_state(torch.ones(3), torch.ones(3))
