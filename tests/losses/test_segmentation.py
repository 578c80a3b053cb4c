"""Tests for torchseq.losses.segmentation: Dice and Tversky against keras.losses."""

from __future__ import annotations

import json

import pytest
import torch

from tests.losses.harness import (
    WEIGHTINGS,
    LossCase,
    check_against_keras,
    check_reduction_against_keras,
    check_unreduced_against_keras,
)
from torchseq import losses

N = 4
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]

CASES = [
    LossCase("Dice", {}, ("binary", (N, 3)), ("unit", (N, 3))),
    LossCase("Dice", {"axis": (1, 2, 3)}, ("binary", (N, 5, 5, 1)), ("unit", (N, 5, 5, 1))),
    LossCase("Dice", {"axis": -1}, ("binary", (N, 5, 3)), ("unit", (N, 5, 3))),
    LossCase("Dice", {"axis": [1]}, ("unit", (N, 6)), ("unit", (N, 6))),
    LossCase("Tversky", {}, ("binary", (N, 3)), ("unit", (N, 3))),
    LossCase(
        "Tversky",
        {"alpha": 0.7, "beta": 0.3, "axis": (1, 2)},
        ("binary", (N, 5, 5)),
        ("unit", (N, 5, 5)),
    ),
    LossCase("Tversky", {"alpha": 0.2, "beta": 1.5, "axis": 1}, ("unit", (N, 6)), ("unit", (N, 6))),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    check_against_keras(keras, case, weighting)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_and_function_match_keras(keras, case):
    check_unreduced_against_keras(keras, case)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [CASES[1], CASES[5]], ids=str)
def test_reductions_match_keras(keras, case, reduction):
    check_reduction_against_keras(keras, case, reduction)


def test_dice_of_a_perfect_prediction_is_zero_and_of_disjoint_masks_one():
    mask = torch.tensor([[1.0, 0.0, 1.0]])
    torch.testing.assert_close(losses.dice(mask, mask), torch.tensor(0.0))
    torch.testing.assert_close(losses.dice(mask, 1.0 - mask), torch.tensor(1.0))


def test_tversky_with_equal_weights_is_the_dice_loss():
    y_true, y_pred = torch.tensor([[1.0, 0.0, 1.0, 1.0]]), torch.tensor([[0.9, 0.2, 0.4, 0.7]])
    torch.testing.assert_close(
        losses.tversky(y_true, y_pred, axis=1), losses.dice(y_true, y_pred, axis=1)
    )


def test_tversky_alpha_weighs_the_missed_targets():
    # One target missed entirely, nothing predicted where there is no target.
    y_true, y_pred = torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0, 0.0]])
    missed_heavy = losses.tversky(y_true, y_pred, alpha=0.9, beta=0.1, axis=1)
    spurious_heavy = losses.tversky(y_true, y_pred, alpha=0.1, beta=0.9, axis=1)
    assert missed_heavy.item() > spurious_heavy.item()


@pytest.mark.parametrize(
    ("class_name", "kwargs"),
    [
        ("Dice", {}),
        ("Dice", {"axis": (1, 2), "name": "d", "reduction": "sum"}),
        ("Tversky", {}),
        ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": [1, 2]}),
    ],
)
def test_config_matches_keras_and_round_trips(keras, class_name, kwargs):
    ours = getattr(losses, class_name)(**kwargs)
    assert ours.get_config() == getattr(keras.losses, class_name)(**kwargs).get_config()
    written = json.loads(json.dumps(losses.serialize(ours)))
    restored = losses.deserialize(written)
    assert type(restored) is type(ours)
    y_true, y_pred = torch.ones(2, 3, 4), torch.full((2, 3, 4), 0.25)
    torch.testing.assert_close(restored(y_true, y_pred), ours(y_true, y_pred))


@pytest.mark.parametrize(
    ("class_name", "kwargs", "error", "match"),
    [
        ("Dice", {"axis": "all"}, TypeError, (r"axis must be None, an int or a tuple of ints, "
         r"received: axis='all' of type str")),
        ("Dice", {"axis": (1, 2.0)}, TypeError, r"received: axis=\(1, 2.0\)"),
        ("Tversky", {"axis": True}, TypeError, "axis=True"),
        ("Tversky", {"alpha": "0.5"}, TypeError, r"alpha must be a number, received: alpha='0.5'"),
        ("Tversky", {"beta": float("nan")}, ValueError, "beta=nan"),
        ("Dice", {"reduction": "avg"}, ValueError, "reduction must be one of"),
    ],
)  # fmt: skip
def test_bad_arguments(class_name, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(losses, class_name)(**kwargs)
