"""Tests for torchseq.losses.metric_learning: Circle against keras.losses."""

from __future__ import annotations

import pytest
import torch

from tests.losses.harness import (
    WEIGHTINGS,
    LossCase,
    case_data,
    check_against_keras,
    check_reduction_against_keras,
    check_unreduced_against_keras,
    make_data,
)
from torchseq import losses

N = 8
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]

# Labels in [0, 4) over 8 samples: some samples have no positive pair (a zero, masked loss).
CASES = [
    LossCase("Circle", {}, ("labels", (N,)), ("unit_rows", (N, 5))),
    LossCase("Circle", {}, ("labels", (N, 1)), ("unit_rows", (N, 5))),
    LossCase("Circle", {}, ("float_labels", (N,)), ("unit_rows", (N, 3))),
    LossCase(
        "Circle",
        {"gamma": 30.0, "margin": 0.25, "remove_diagonal": False},
        ("labels", (N,)),
        ("unit_rows", (N, 5)),
    ),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    if weighting == "scalar":
        pytest.skip("Keras 3.15 fails to merge a scalar weight into a mask (in-place broadcast)")
    check_against_keras(keras, case, weighting)


def test_a_scalar_weight_scales_the_masked_mean():
    y_true, y_pred = case_data(CASES[0])
    loss = losses.Circle()
    torch.testing.assert_close(loss(y_true, y_pred, 0.5), 0.5 * loss(y_true, y_pred))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_matches_keras(keras, case):
    check_unreduced_against_keras(keras, case)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [CASES[0], CASES[3]], ids=str)
def test_reductions_match_keras(keras, case, reduction):
    check_reduction_against_keras(keras, case, reduction)


@pytest.mark.parametrize("remove_diagonal", [True, False])
def test_function_with_references_matches_keras(keras, remove_diagonal):
    labels, embeddings = make_data("labels", (N,), 1), make_data("unit_rows", (N, 4), 2)
    ref_labels, references = make_data("labels", (5,), 3), make_data("unit_rows", (5, 4), 4)
    options = {"gamma": 40.0, "margin": 0.3, "remove_diagonal": remove_diagonal}
    ours = losses.circle(labels, embeddings, ref_labels, references, **options)
    theirs = keras.losses.circle(
        torch.from_numpy(labels),
        torch.from_numpy(embeddings),
        torch.from_numpy(ref_labels),
        torch.from_numpy(references),
        **options,
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ours._keras_mask, theirs._keras_mask)


def test_function_within_the_batch_matches_keras(keras):
    y_true, y_pred = case_data(CASES[0])
    ours = losses.circle(y_true, y_pred)
    theirs = keras.losses.circle(torch.from_numpy(y_true), torch.from_numpy(y_pred))
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_samples_without_a_positive_pair_are_left_out_of_the_mean():
    labels = torch.tensor([0, 0, 1, 2])  # samples 2 and 3 have no positive
    embeddings = torch.nn.functional.normalize(torch.randn(4, 3), dim=-1)
    values = losses.Circle(reduction="none")(labels, embeddings)
    assert values[2:].tolist() == [0.0, 0.0] and bool((values[:2] > 0).all())
    torch.testing.assert_close(losses.Circle()(labels, embeddings), values[:2].mean())


def test_config_matches_keras_and_names_resolve(keras):
    kwargs = {"gamma": 64.0, "margin": 0.25, "remove_diagonal": False, "reduction": "sum"}
    assert losses.Circle(**kwargs).get_config() == keras.losses.Circle(**kwargs).get_config()
    assert losses.Circle().get_config() == keras.losses.Circle().get_config()
    assert losses.get("circle") is losses.circle
    assert isinstance(losses.get("Circle"), losses.Circle)
    restored = losses.deserialize(losses.serialize(losses.Circle(**kwargs)))
    assert restored.get_config() == losses.Circle(**kwargs).get_config()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"gamma": 0.0}, ValueError, r"gamma must be in \(0, inf\], received: gamma=0.0"),
        ({"gamma": "80"}, TypeError, r"gamma must be a number, received: gamma='80'"),
        ({"margin": None}, TypeError, "margin must be a number, received: margin=None"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        losses.Circle(**kwargs)


@pytest.mark.parametrize(
    ("labels", "embeddings", "match"),
    [
        (torch.zeros(4, 2), torch.zeros(4, 3), (r"circle expects y_true of shape \(batch_size,\) "
         r"or \(batch_size, 1\) holding integer labels, received: y_true.shape=\(4, 2\)")),
        (torch.zeros(4), torch.zeros(4, 3, 1), (r"circle expects y_pred of shape \(batch_size, "
         r"embedding_dim\), received: y_pred.shape=\(4, 3, 1\)")),
    ],
)  # fmt: skip
def test_bad_shapes(labels, embeddings, match):
    with pytest.raises(ValueError, match=match):
        losses.circle(labels, embeddings)
