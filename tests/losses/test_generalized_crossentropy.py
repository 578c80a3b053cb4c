"""Tests for torchseq.losses.generalized_crossentropy against keras.losses."""

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
)
from torchseq import losses

N, C = 6, 4
NAME = "CategoricalGeneralizedCrossEntropy"
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]

CASES = [
    LossCase(NAME, {}, ("labels", (N,)), ("simplex", (N, C))),
    LossCase(NAME, {"q": 0.2}, ("float_labels", (N,)), ("simplex", (N, C))),
    LossCase(NAME, {"q": 0.9}, ("labels", (N, 5)), ("simplex", (N, 5, C))),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    check_against_keras(keras, case, weighting)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_matches_keras(keras, case):
    check_unreduced_against_keras(keras, case)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_reductions_match_keras(keras, reduction):
    check_reduction_against_keras(keras, CASES[2], reduction)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_function_matches_keras(keras, case):
    y_true, y_pred = case_data(case)
    q = case.kwargs.get("q", 0.5)
    ours = losses.categorical_generalized_cross_entropy(y_true, y_pred, q=q)
    # Keras's function needs tensors (it multiplies y_pred by a tensor).
    theirs = keras.losses.categorical_generalized_cross_entropy(
        torch.from_numpy(y_true), torch.from_numpy(y_pred), q=q
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


def test_a_trailing_label_axis_gives_one_loss_per_sample():
    # Keras 3 broadcasts (batch, 1) labels against the batch: (batch, batch) values.
    y_true, y_pred = case_data(CASES[0])
    loss = losses.CategoricalGeneralizedCrossEntropy(reduction="none")
    torch.testing.assert_close(loss(y_true[:, None], y_pred), loss(y_true, y_pred))


def test_limits_are_the_mean_absolute_error_and_the_crossentropy():
    labels, y_pred = torch.tensor([1, 0]), torch.tensor([[0.3, 0.7], [0.6, 0.4]])
    probability = torch.tensor([0.7, 0.6])
    near_mae = losses.categorical_generalized_cross_entropy(labels, y_pred, q=1.0 - 1e-6)
    torch.testing.assert_close(near_mae, 1.0 - probability, rtol=1e-4, atol=1e-5)
    near_ce = losses.categorical_generalized_cross_entropy(labels, y_pred, q=1e-4)
    torch.testing.assert_close(near_ce, -torch.log(probability), rtol=1e-3, atol=1e-4)


def test_an_out_of_range_label_selects_no_class():
    value = losses.categorical_generalized_cross_entropy(
        torch.tensor([5]), torch.tensor([[0.5, 0.5]]), q=0.5
    )
    torch.testing.assert_close(value, torch.tensor([2.0]))


def test_config_matches_keras_and_round_trips(keras):
    for kwargs in ({}, {"q": 0.3, "reduction": "sum", "name": "gce"}):
        ours = losses.CategoricalGeneralizedCrossEntropy(**kwargs)
        assert (
            ours.get_config()
            == keras.losses.CategoricalGeneralizedCrossEntropy(**kwargs).get_config()
        )
        restored = losses.deserialize(losses.serialize(ours))
        assert restored.get_config() == ours.get_config()


def test_names_resolve_although_keras_get_does_not(keras):
    assert isinstance(losses.get(NAME), losses.CategoricalGeneralizedCrossEntropy)
    function = losses.get("categorical_generalized_cross_entropy")
    assert function is losses.categorical_generalized_cross_entropy
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        keras.losses.get(NAME)


@pytest.mark.parametrize(
    ("q", "error", "match"),
    [
        (0.0, ValueError, r"q must be in \(0, 1\), received: q=0.0"),
        (1.0, ValueError, r"q must be in \(0, 1\), received: q=1.0"),
        (-0.5, ValueError, "received: q=-0.5"),
        ("0.5", TypeError, r"q must be a number, received: q='0.5' of type str"),
    ],
)
def test_bad_q(q, error, match):
    with pytest.raises(error, match=match):
        losses.CategoricalGeneralizedCrossEntropy(q=q)
