"""Sparse crossentropy refuses class labels out of range or not whole, naming them.

The check reads labels only where that is cheap (arrays, CPU float tensors); integer
tensors are left to torch's kernel, whose CPU error is explained the same way.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq
from torchseq import losses, metrics
from torchseq.losses._inputs import check_class_labels

UNIFORM = np.full((2, 3), 1 / 3, "float32")


def sparse_ce(y_true, y_pred=UNIFORM):
    return losses.sparse_categorical_crossentropy(y_true, y_pred)


def loss_class(y_true, y_pred=UNIFORM):
    return losses.SparseCategoricalCrossentropy()(y_true, y_pred)


def ce_metric(y_true, y_pred=UNIFORM):
    metric = metrics.SparseCategoricalCrossentropy()
    metric.update_state(y_true, y_pred)
    return metric


def top_k_metric(y_true, y_pred=UNIFORM):
    metric = metrics.SparseTopKCategoricalAccuracy(k=2)
    metric.update_state(y_true, y_pred)
    return metric


CALLS = {
    "function": (sparse_ce, "sparse_categorical_crossentropy"),
    "loss": (loss_class, "sparse_categorical_crossentropy"),
    "metric": (ce_metric, "sparse_categorical_crossentropy"),
    "top_k": (top_k_metric, "sparse_top_k_categorical_accuracy"),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("labels", "label"),
    [
        (np.array([0, 7]), "7"),
        (np.array([-1, 0]), "-1"),
        (torch.tensor([0, 3]), "3"),  # a CPU tensor: explained from torch's error
        (np.array([0.0, 4.0]), "4"),
    ],
    ids=["above", "negative", "tensor", "whole_float"],
)
def test_a_label_out_of_range_names_it_the_classes_and_the_loss(call, labels, label):
    function, what = CALLS[call]
    with pytest.raises(
        ValueError,
        match=rf"{what} expects integer class labels in \[0, 3\) \(3 classes in y_pred\), "
        rf"received: label {label}$",
    ):
        function(labels)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("labels", [np.array([0.5, 1.0]), torch.tensor([1.0, 2.25])])
def test_a_label_that_is_not_a_whole_number_is_refused(call, labels):
    function, what = CALLS[call]
    with pytest.raises(ValueError, match=rf"{what} expects integer class labels, received: label "
                       r"(0\.5|2\.25) \(a float that is not a whole number"):  # fmt: skip
        function(labels)


def test_a_refused_label_leaves_the_metric_unchanged():
    metric = ce_metric(np.array([0, 1]))
    before = float(metric.result())
    with pytest.raises(ValueError, match="label 9"):
        metric.update_state(np.array([9, 1]), UNIFORM)
    assert float(metric.result()) == before


def test_whole_float_labels_give_the_numbers_of_integer_labels():
    y_pred = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], "float32")
    torch.testing.assert_close(
        sparse_ce(np.array([0.0, 2.0]), y_pred), sparse_ce(np.array([0, 2]), y_pred)
    )


def test_the_ignored_class_may_lie_outside_the_range():
    values = losses.sparse_categorical_crossentropy(np.array([-1, 2]), UNIFORM, ignore_class=-1)
    assert values[0].item() == 0.0
    with pytest.raises(ValueError, match="received: label -2"):
        losses.sparse_categorical_crossentropy(np.array([-2, 2]), UNIFORM, ignore_class=-1)


def test_labels_on_another_device_are_not_read():
    # A device tensor is left to the kernel: reading it would wait for the device each step.
    assert check_class_labels(torch.tensor([7.5], device="meta"), 3, "loss") is None
    assert check_class_labels(torch.tensor([7]), 3, "loss") is None  # torch's own error explains


def test_fit_with_a_bad_label_fails_before_any_weight_changes():
    model = torchseq.Sequential([torchseq.Input((3,)), torchseq.layers.Dense(3, "softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="label 7"):
        model.fit(np.ones((4, 3), "float32"), np.array([0, 1, 2, 7]), batch_size=4, verbose=0)
    for ours, theirs in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert int(model.optimizer.iterations) == 0
