"""Tests for torchseq.losses.crossentropy: parity with keras.losses, options and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.losses.harness import (
    WEIGHTINGS,
    LossCase,
    check_against_keras,
    check_unreduced_against_keras,
)
from torchseq import losses

N, C = 6, 4

CASES = [
    # binary: probabilities with exact 0s and 1s exercise the clipping
    LossCase("BinaryCrossentropy", {}, ("binary", (N, 3)), ("unit", (N, 3))),
    LossCase("BinaryCrossentropy", {}, ("binary", (N,)), ("unit", (N, 1))),
    LossCase("BinaryCrossentropy", {}, ("binary", (N, 1)), ("unit", (N,))),
    LossCase("BinaryCrossentropy", {"from_logits": True}, ("binary", (N, 3)), ("logits", (N, 3))),
    LossCase("BinaryCrossentropy", {"label_smoothing": 0.2}, ("binary", (N, 3)), ("unit", (N, 3))),
    LossCase(
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        ("binary", (N, 5, 2)),
        ("logits", (N, 5, 2)),
    ),
    LossCase("BinaryCrossentropy", {"axis": 1}, ("binary", (N, 5, 2)), ("unit", (N, 5, 2))),
    LossCase("BinaryFocalCrossentropy", {}, ("binary", (N, 3)), ("unit", (N, 3))),
    LossCase(
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
        ("binary", (N, 3)),
        ("unit", (N, 3)),
    ),
    LossCase(
        "BinaryFocalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        ("binary", (N, 5, 2)),
        ("logits", (N, 5, 2)),
    ),
    # categorical: Keras renormalises probabilities that do not sum to one
    LossCase("CategoricalCrossentropy", {}, ("onehot", (N, C)), ("simplex", (N, C))),
    LossCase("CategoricalCrossentropy", {}, ("onehot", (N, C)), ("unnormalized", (N, C))),
    LossCase(
        "CategoricalCrossentropy", {"from_logits": True}, ("onehot", (N, C)), ("logits", (N, C))
    ),
    LossCase(
        "CategoricalCrossentropy", {"label_smoothing": 0.2}, ("onehot", (N, C)), ("simplex", (N, C))
    ),
    LossCase(
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        ("onehot", (N, 5, C)),
        ("logits", (N, 5, C)),
    ),
    # Keras counts the classes on the last axis for label smoothing, whatever the axis
    LossCase(
        "CategoricalCrossentropy",
        {"axis": 1, "label_smoothing": 0.2, "from_logits": True},
        ("onehot1", (N, C, 5)),
        ("logits", (N, C, 5)),
    ),
    LossCase("CategoricalFocalCrossentropy", {}, ("onehot", (N, C)), ("simplex", (N, C))),
    LossCase(
        "CategoricalFocalCrossentropy",
        {"alpha": 0.5, "gamma": 3.0, "from_logits": True, "label_smoothing": 0.1},
        ("onehot", (N, C)),
        ("logits", (N, C)),
    ),
    # sparse: labels (n,), (n, 1), float labels, per timestep, class axis 1, ignore_class
    LossCase("SparseCategoricalCrossentropy", {}, ("labels", (N,)), ("simplex", (N, C))),
    LossCase("SparseCategoricalCrossentropy", {}, ("labels", (N, 1)), ("unnormalized", (N, C))),
    LossCase("SparseCategoricalCrossentropy", {}, ("float_labels", (N,)), ("simplex", (N, C))),
    LossCase(
        "SparseCategoricalCrossentropy", {"from_logits": True}, ("labels", (N,)), ("logits", (N, C))
    ),
    LossCase(
        "SparseCategoricalCrossentropy",
        {"from_logits": True},
        ("labels", (N, 5)),
        ("logits", (N, 5, C)),
    ),
    LossCase(
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "axis": 1},
        ("labels", (N, 5)),
        ("logits", (N, C, 5)),
    ),
    LossCase(
        "SparseCategoricalCrossentropy", {"ignore_class": 1}, ("labels", (N,)), ("simplex", (N, C))
    ),
    LossCase(
        "SparseCategoricalCrossentropy",
        {"ignore_class": 0, "from_logits": True},
        ("labels", (N, 5)),
        ("logits", (N, 5, C)),
    ),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    if weighting == "scalar" and "ignore_class" in case.kwargs:
        pytest.skip("Keras 3.15 fails to merge a scalar weight into a mask (in-place broadcast)")
    check_against_keras(keras, case, weighting)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_and_function_match_keras(keras, case):
    check_unreduced_against_keras(keras, case)


def test_sparse_keeps_integer_labels_and_the_ignored_entries_get_zero():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=2, reduction="none")
    labels = torch.tensor([0, 2, 1])
    values = loss(labels, torch.full((3, 3), 1 / 3))
    assert values[1] == 0.0
    torch.testing.assert_close(values[[0, 2]], torch.full((2,), float(np.log(3.0))))


def test_sparse_ignore_class_averages_over_the_kept_entries_only():
    y_pred = torch.tensor([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]])
    labels = torch.tensor([1, -1, 0])
    value = losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, y_pred)
    expected = -(np.log(0.8) + np.log(0.9)) / 2
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_sparse_ignore_class_outside_the_class_range():
    y_pred = torch.tensor([[0.2, 0.8], [0.9, 0.1]])
    value = losses.sparse_categorical_crossentropy(torch.tensor([1, 255]), y_pred, ignore_class=255)
    torch.testing.assert_close(value, torch.tensor([-float(np.log(0.8)), 0.0]))
    assert value._keras_mask.tolist() == [True, False]


def test_scalar_weight_with_ignore_class_scales_the_masked_mean():
    loss = losses.SparseCategoricalCrossentropy(ignore_class=0)
    labels, y_pred = torch.tensor([0, 1, 2]), torch.tensor([[0.2, 0.3, 0.5]] * 3)
    torch.testing.assert_close(loss(labels, y_pred, 0.5), 0.5 * loss(labels, y_pred))


def test_gradients_flow_only_through_kept_entries():
    logits = torch.randn(4, 3, requires_grad=True)
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)(
        torch.tensor([0, 1, 2, 0]), logits
    ).backward()
    assert torch.all(logits.grad[[0, 3]] == 0)
    assert torch.all(torch.isfinite(logits.grad))


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_on_a_channels_last_convolution_output_trains(keras, from_logits):
    # keras.io's oxford_pets_image_segmentation: per-pixel classes from a Conv2D, whose output
    # has channels-last strides once the classes move to axis 1. Keras's torch backend stops
    # there on the CPU ("grad_input must be contiguous"); its forward value is the reference.
    conv = torch.nn.Conv2d(4, 3, 3, padding=1)
    images = torch.rand(2, 5, 5, 4)
    y_pred = conv(images.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    if not from_logits:
        y_pred = y_pred.softmax(-1)
    labels = torch.randint(0, 3, (2, 5, 5, 1), dtype=torch.uint8)
    value = losses.SparseCategoricalCrossentropy(from_logits=from_logits)(labels, y_pred)
    value.backward()
    assert conv.weight.grad is not None and torch.all(torch.isfinite(conv.weight.grad))
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)(
        labels.numpy(), y_pred.detach().numpy()
    )
    np.testing.assert_allclose(value.item(), float(expected), rtol=1e-6)


def test_clipping_keeps_saturated_probabilities_finite():
    y_pred = torch.tensor([[0.0, 1.0]], requires_grad=True)
    value = losses.CategoricalCrossentropy()(torch.tensor([[1.0, 0.0]]), y_pred)
    assert torch.isfinite(value)
    value.backward()
    assert torch.all(torch.isfinite(y_pred.grad))


def test_single_class_categorical_warns_as_keras_does():
    with pytest.warns(UserWarning, match=r"num_classes > 1.*binary_crossentropy"):
        losses.categorical_crossentropy(torch.ones(2, 1), torch.ones(2, 1))


def test_binary_crossentropy_runs_under_autocast():
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = losses.BinaryCrossentropy()(torch.ones(2, 3), torch.full((2, 3), 0.5))
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(np.log(2.0), rel=1e-6)


def test_config_round_trip_keeps_every_option():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3, axis=1, name="s")
    config = loss.get_config()
    assert config == {
        "name": "s",
        "reduction": "sum_over_batch_size",
        "from_logits": True,
        "ignore_class": 3,
        "axis": 1,
    }
    again = losses.SparseCategoricalCrossentropy.from_config(config)
    assert again.get_config() == config
    assert (again.from_logits, again.ignore_class, again.axis) == (True, 3, 1)


@pytest.mark.parametrize(
    ("class_name", "keras_only"),
    [
        ("BinaryCrossentropy", ()),
        ("BinaryFocalCrossentropy", ()),
        ("CategoricalCrossentropy", ()),
        ("CategoricalFocalCrossentropy", ()),
        ("SparseCategoricalCrossentropy", ("axis",)),
    ],
)
def test_default_config_matches_keras(keras, class_name, keras_only):
    ours = getattr(losses, class_name)().get_config()
    theirs = getattr(keras.losses, class_name)().get_config()
    assert {key: value for key, value in ours.items() if key not in keras_only} == theirs


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (
            lambda: losses.BinaryCrossentropy(label_smoothing=1.5),
            ValueError,
            r"label_smoothing must be in \[0.0, 1.0\], received: label_smoothing=1.5",
        ),
        (
            lambda: losses.CategoricalCrossentropy(label_smoothing="0.1"),
            TypeError,
            r"label_smoothing must be a number",
        ),
        (
            lambda: losses.CategoricalCrossentropy(axis=True),
            TypeError,
            r"axis must be an int, received: axis=True",
        ),
        (
            lambda: losses.BinaryFocalCrossentropy(gamma=-1),
            ValueError,
            r"gamma must be in \[0.0, inf\]",
        ),
        (
            lambda: losses.BinaryFocalCrossentropy(alpha=2),
            ValueError,
            r"alpha must be in \[0.0, 1.0\]",
        ),
        (
            lambda: losses.SparseCategoricalCrossentropy(ignore_class=1.0),
            TypeError,
            r"ignore_class must be an int or None",
        ),
        (
            lambda: losses.BinaryCrossentropy(reduction="avg"),
            ValueError,
            r"reduction must be one of .*'sum_over_batch_size'.*received: reduction='avg'",
        ),
    ],
)
def test_bad_options(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: losses.categorical_crossentropy(torch.ones(4), torch.ones(4, 3)),
            (
                r"categorical_crossentropy expects y_true and y_pred of the same shape, "
                r"received: y_true.shape=\(4,\), y_pred.shape=\(4, 3\)"
            ),
        ),
        (
            lambda: losses.binary_crossentropy(torch.ones(4, 2), torch.ones(4, 3)),
            r"binary_crossentropy expects y_true and y_pred of the same shape",
        ),
        (
            lambda: losses.sparse_categorical_crossentropy(torch.ones(4, 3), torch.ones(4, 3)),
            (
                r"expects y_true shaped like y_pred without its class axis \(\(4,\)\), "
                r"received: y_true.shape=\(4, 3\)"
            ),
        ),
    ],
)
def test_shape_errors_name_both_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()
