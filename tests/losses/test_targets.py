"""Tests for torchseq.losses.targets.check_target: targets refused before training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from torchseq import losses

# (loss identifier, y_true shape, y_pred shape, y_true dtype)
FITTING = [
    ("categorical_crossentropy", (100, 10), (100, 10), "float32"),
    ("categorical_crossentropy", (100, 10), (None, 10), np.dtype("int64")),
    (losses.CategoricalCrossentropy(axis=1), (8, 10, 3), (8, 10, 3), "float32"),
    ("CategoricalFocalCrossentropy", (100, 10), (100, 10), "float32"),
    ("sparse_categorical_crossentropy", (100,), (100, 10), torch.int64),
    ("sparse_categorical_crossentropy", (100, 1), (100, 10), torch.int64),
    ("sparse_categorical_crossentropy", (8, 20), (8, 20, 5), torch.int64),
    ("sparse_categorical_crossentropy", (8, 20, 1), (8, 20, 5), torch.int64),
    (losses.SparseCategoricalCrossentropy(axis=1), (8, 20), (8, 5, 20), torch.int64),
    ("binary_crossentropy", (100,), (100, 1), "float32"),
    ("binary_crossentropy", (100, 1), (100,), "float32"),
    ("binary_crossentropy", (100, 3), (100, 3), "float32"),
    ("mse", (100, 1), (100,), "float32"),
    ("mse", (8, 20), (8, 20, 1), "float32"),
    (losses.MeanSquaredError, (100, 4), (100, 4), "float32"),
    (losses.mean_absolute_error, (100, 4), (100, 4), "float32"),
    (losses.LossFunctionWrapper(losses.huber, delta=2.0), (100, 4), (100, 4), "float32"),
    ("crossentropy", (100,), (100, 10), "int64"),
    ("crossentropy", (100, 10), (100, 10), "float32"),
    ("categorical_generalized_cross_entropy", (100,), (100, 10), torch.int64),
    (losses.CategoricalGeneralizedCrossEntropy(), (100, 1), (100, 10), torch.int64),
    ("dice", (8, 16, 16, 1), (8, 16, 16, 1), "float32"),
    ("ctc", (8, 12), (8, 50, 30), torch.int64),
    (losses.Circle(), (8,), (8, 64), torch.int64),
    # not built in: not checked
    (nn.CrossEntropyLoss(), (100,), (100, 10), torch.int64),
    (lambda y_true, y_pred: y_pred, (100, 3), (100, 4), "float32"),
    (None, (100, 3), (100, 4), "float32"),
]

# (loss identifier, y_true shape, y_pred shape, y_true dtype, message pattern)
REFUSED = [
    (
        "categorical_crossentropy",
        (100,),
        (100, 10),
        torch.int64,
        (
            r"categorical_crossentropy expects one-hot targets shaped like y_pred, received y_true "
            r"of shape \(100,\) and dtype int64 for y_pred of shape \(100, 10\): these look like "
            r"integer class labels\. Use loss='sparse_categorical_crossentropy' for integer "
            r"class labels, or one-hot encode them first: "
            r"utils.to_categorical\(y, num_classes=10\)\."
        ),
    ),
    (
        losses.CategoricalCrossentropy(),
        (100, 1),
        (100, 10),
        np.dtype("int64"),
        (
            r"received y_true of shape \(100, 1\) and dtype int64 .* "
            r"loss='sparse_categorical_crossentropy'.*num_classes=10"
        ),
    ),
    (
        losses.CategoricalCrossentropy,
        (100, 1),
        (None, 10),
        "float32",
        r"shape \(100, 1\) and dtype float32 for y_pred of shape \(None, 10\)",
    ),
    (
        losses.categorical_crossentropy,
        (100,),
        (100, 10),
        None,
        r"received y_true of shape \(100,\) for y_pred of shape \(100, 10\).*sparse_categorical",
    ),
    (
        "CategoricalFocalCrossentropy",
        (100,),
        (100, 10),
        "int64",
        r"categorical_focal_crossentropy expects one-hot targets.*sparse_categorical_crossentropy",
    ),
    (
        "categorical_crossentropy",
        (100, 3),
        (100, 10),
        "float32",
        (
            r"categorical_crossentropy expects one-hot targets shaped like y_pred, received y_true "
            r"of shape \(100, 3\) and dtype float32 for y_pred of shape \(100, 10\)\.$"
        ),
    ),
    (
        "sparse_categorical_crossentropy",
        (100, 10),
        (100, 10),
        "float32",
        (
            r"sparse_categorical_crossentropy expects integer class labels shaped like y_pred "
            r"without its class axis, i\.e\. \(100,\), received y_true of shape \(100, 10\) and "
            r"dtype float32 for y_pred of shape \(100, 10\): these look like one-hot targets\. "
            r"Use loss='categorical_crossentropy'"
        ),
    ),
    (
        losses.SparseCategoricalCrossentropy(from_logits=True),
        (8, 20),
        (8, 5, 20),
        "int64",
        (
            r"without its class axis, i\.e\. \(8, 5\) \(or with a size-1 class axis\), received "
            r"y_true of shape \(8, 20\)"
        ),
    ),
    (
        "mse",
        (100, 3),
        (100, 4),
        "float32",
        (
            r"mean_squared_error compares y_true and y_pred elementwise and expects the same shape "
            r"\(up to a trailing axis of size 1\), received y_true of shape \(100, 3\) and dtype "
            r"float32 for y_pred of shape \(100, 4\); broadcasting would pair the wrong values\.$"
        ),
    ),
    (
        "mse",
        (100, 1),
        (100, 4),
        "float32",
        (
            r"received y_true of shape \(100, 1\).*These look like class labels for 4 classes\. "
            r"Use loss='sparse_categorical_crossentropy' for integer class labels, or one-hot "
            r"encode them first: utils.to_categorical\(y, num_classes=4\)\."
        ),
    ),
    (
        "binary_crossentropy",
        (100,),
        (100, 10),
        torch.int64,
        (
            r"binary_crossentropy compares .* received y_true of shape \(100,\) and dtype int64 "
            r"for y_pred of shape \(100, 10\).*These look like class labels"
        ),
    ),
    (
        losses.Hinge(),
        (100, 2),
        (100,),
        "float32",
        r"hinge compares y_true and y_pred elementwise",
    ),
    (
        "kld",
        (8, 5),
        (9, 5),
        "float32",
        r"kl_divergence compares .* received y_true of shape \(8, 5\) .* y_pred of shape \(9, 5\)",
    ),
    (
        "crossentropy",
        (100, 3),
        (100, 10),
        "float32",
        r"categorical_crossentropy expects one-hot targets shaped like y_pred",
    ),
    (
        "CategoricalGeneralizedCrossEntropy",
        (100, 10),
        (100, 10),
        "float32",
        (
            r"categorical_generalized_cross_entropy expects integer class labels shaped like "
            r"y_pred without its class axis, i.e. \(100,\), .*these look like one-hot targets"
        ),
    ),
    (
        "tversky",
        (8, 16, 16),
        (8, 16, 16, 3),
        "float32",
        r"tversky compares y_true and y_pred elementwise",
    ),
]


def case_id(value):
    return getattr(value, "name", None) or getattr(value, "__name__", None) or str(value)


@pytest.mark.parametrize(("loss", "true_shape", "pred_shape", "dtype"), FITTING, ids=case_id)
def test_fitting_targets_pass(loss, true_shape, pred_shape, dtype):
    losses.check_target(loss, true_shape, pred_shape, dtype)


@pytest.mark.parametrize(
    ("loss", "true_shape", "pred_shape", "dtype", "match"), REFUSED, ids=case_id
)
def test_targets_that_cannot_fit_are_refused(loss, true_shape, pred_shape, dtype, match):
    with pytest.raises(ValueError, match=match):
        losses.check_target(loss, true_shape, pred_shape, dtype)


def test_unknown_loss_names_are_refused_with_the_valid_names():
    with pytest.raises(
        ValueError, match=r"Unknown loss: expected one of \[.*'categorical_crossentropy'"
    ):
        losses.check_target("categorical_crossentropyy", (4,), (4, 3), "int64")


def test_accepts_torch_sizes():
    losses.check_target("mse", torch.Size([4, 3]), torch.Size([4, 3]), torch.float32)
