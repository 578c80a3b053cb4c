"""Tests for torchseq.metrics.iou: the IoU family's parity with keras.metrics, configs, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.metrics import MetricCase, check_config_round_trip, check_parity
from torchseq import metrics

FLOAT = {"dtype": "float32"}  # fractional sample weights need a floating confusion matrix

CASES = [
    MetricCase("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "class_ids", integer_weights=True),
    MetricCase("IoU", {"num_classes": 4, "target_class_ids": [1], **FLOAT}, "class_ids"),
    MetricCase("IoU", {"num_classes": 3, "target_class_ids": (0, 1, 2)}, "exact", integer_weights=True),
    MetricCase("IoU", {"num_classes": 4, "target_class_ids": [0, 1, 2, 3], "ignore_class": 0, **FLOAT}, "segmentation"),
    MetricCase("IoU", {"num_classes": 4, "target_class_ids": [0, 3], "sparse_y_pred": False, **FLOAT}, "sparse"),
    MetricCase("IoU", {"num_classes": 4, "target_class_ids": [1, 2], "sparse_y_true": False, "sparse_y_pred": False, **FLOAT}, "categorical"),
    MetricCase("MeanIoU", {"num_classes": 4}, "class_ids", integer_weights=True),
    MetricCase("MeanIoU", {"num_classes": 4, "ignore_class": -1, **FLOAT}, "segmentation"),
    MetricCase("MeanIoU", {"num_classes": 4, "ignore_class": 2}, "segmentation", integer_weights=True),
    MetricCase("MeanIoU", {"num_classes": 4, "sparse_y_pred": False, **FLOAT}, "sparse_column"),
    MetricCase("MeanIoU", {"num_classes": 4, "dtype": "float64"}, "class_ids"),
    MetricCase("BinaryIoU", {}, "binary", integer_weights=True),
    MetricCase("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3, **FLOAT}, "binary"),
    MetricCase("BinaryIoU", {"target_class_ids": [0], "threshold": 0}, "logits", integer_weights=True),
    MetricCase("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 1], **FLOAT}, "categorical"),
    MetricCase("OneHotIoU", {"num_classes": 4, "target_class_ids": [2]}, "categorical", integer_weights=True),
    MetricCase("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 3], "sparse_y_pred": True}, "one_hot_and_ids", integer_weights=True),
    MetricCase("OneHotMeanIoU", {"num_classes": 4, **FLOAT}, "categorical"),
    MetricCase("OneHotMeanIoU", {"num_classes": 4}, "categorical", integer_weights=True),
    MetricCase("OneHotMeanIoU", {"num_classes": 4}, "categorical_bool", integer_weights=True),
    MetricCase("OneHotMeanIoU", {"num_classes": 4, "sparse_y_pred": True, "ignore_class": 1, **FLOAT}, "one_hot_and_ids"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


def test_fractional_weights_on_an_integer_matrix_are_truncated_with_a_warning_as_in_keras():
    keras = pytest.importorskip("keras")
    y_true, y_pred = [0, 1, 2, 1], [0, 1, 1, 1]
    weights = np.array([0.5, 1.5, 2.5, 1.0], dtype="float32")
    ours, theirs = metrics.IoU(3, [0, 1]), keras.metrics.IoU(3, [0, 1])
    with pytest.warns(UserWarning, match=r"IoU: sample_weight is float32 .* dtype is int32"):
        ours.update_state(torch.tensor(y_true), torch.tensor(y_pred), torch.from_numpy(weights))
    with pytest.warns(UserWarning, match="weight as `float`"):
        theirs.update_state(y_true, y_pred, sample_weight=weights)
    assert ours.total_cm.tolist() == [[0, 0, 0], [0, 2, 0], [0, 2, 0]]
    assert ours.total_cm.tolist() == keras.ops.convert_to_numpy(theirs.total_cm).tolist()
    assert ours.result().item() == pytest.approx(float(theirs.result()))


def test_state_is_an_int32_matrix_that_resets_and_keeps_its_type_on_to():
    metric = metrics.MeanIoU(3).to(torch.float64)
    metric.update_state(torch.tensor([0, 1, 2]), torch.tensor([0, 2, 2]))
    assert metric.total_cm.dtype == torch.int32
    assert metric.result().dtype == torch.float32
    assert metric.result().item() == pytest.approx((1 + 0 + 0.5) / 3)
    metric.reset_state()
    assert metric.total_cm.abs().sum() == 0
    assert metric.result().item() == 0.0


def test_classes_never_seen_are_left_out_of_the_mean():
    metric = metrics.MeanIoU(4)
    metric.update_state(torch.tensor([0, 1]), torch.tensor([0, 1]))
    assert metric.result().item() == pytest.approx(1.0)


def test_names_and_direction_follow_keras():
    names = [
        metrics.IoU(2, [0]).name,
        metrics.BinaryIoU().name,
        metrics.MeanIoU(2).name,
        metrics.OneHotIoU(2, [1]).name,
        metrics.OneHotMeanIoU(2).name,
        metrics.IoU(2, [1]).name,
    ]
    assert names == [
        "io_u",
        "binary_io_u",
        "mean_io_u",
        "one_hot_io_u",
        "one_hot_mean_io_u",
        "io_u_1",
    ]
    assert metrics.IoU._direction == "up"


ROUND_TRIP = [
    metrics.IoU(3, [0, 2], name="iou", ignore_class=255, sparse_y_pred=False, axis=1),
    metrics.BinaryIoU(target_class_ids=[1], threshold=0.2, dtype="float32"),
    metrics.MeanIoU(5, ignore_class=-1, sparse_y_true=False),
    metrics.OneHotIoU(4, [3], sparse_y_pred=True),
    metrics.OneHotMeanIoU(4, dtype="float64"),
]


@pytest.mark.parametrize("metric", ROUND_TRIP, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    check_config_round_trip(metric)


# (class, kwargs, error, message)
BAD_ARGUMENTS = [
    (metrics.IoU, {"num_classes": 3, "target_class_ids": [3]}, ValueError, r"IoU: target_class_ids must be a non-empty list of ids in \[0, 3\), received: target_class_ids=\[3\]"),
    (metrics.IoU, {"num_classes": 3, "target_class_ids": []}, ValueError, r"non-empty list"),
    (metrics.IoU, {"num_classes": 3, "target_class_ids": 1}, TypeError, r"target_class_ids must be a list or tuple .* received: target_class_ids=1 of type int"),
    (metrics.IoU, {"num_classes": 3, "target_class_ids": [-1]}, ValueError, r"target_class_ids must be >= 0"),
    (metrics.IoU, {"num_classes": 2, "target_class_ids": [0], "axis": "last"}, TypeError, r"IoU: axis must be an int, received: axis='last'"),
    (metrics.MeanIoU, {"num_classes": 0}, ValueError, r"num_classes must be >= 1, received: num_classes=0"),
    (metrics.MeanIoU, {"num_classes": 2.0}, TypeError, r"num_classes must be an integer or None, received: num_classes=2.0"),
    (metrics.MeanIoU, {"num_classes": None}, TypeError, r"MeanIoU: num_classes must be an integer > 0"),
    (metrics.MeanIoU, {"num_classes": 2, "ignore_class": "void"}, TypeError, r"ignore_class='void'"),
    (metrics.BinaryIoU, {"threshold": "0.5"}, TypeError, r"BinaryIoU: threshold must be a number, received: threshold='0.5'"),
    (metrics.BinaryIoU, {"target_class_ids": [2]}, ValueError, r"BinaryIoU: target_class_ids must be .* in \[0, 2\)"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_bad_inputs_name_the_shapes():
    metric = metrics.MeanIoU(3, dtype="float32")
    with pytest.raises(
        ValueError, match=r"same number of class ids, received shapes \(4,\) and \(3,\)"
    ):
        metric.update_state(torch.zeros(4), torch.zeros(3))
    with pytest.raises(ValueError, match=r"one weight per class id \(4\), received shape \(2,\)"):
        metric.update_state(torch.zeros(4), torch.zeros(4), sample_weight=torch.ones(2))
