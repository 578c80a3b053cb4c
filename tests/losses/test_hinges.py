"""Tests for torchseq.losses.hinges: parity with keras.losses."""

from __future__ import annotations

import pytest
import torch

from tests.losses.harness import (
    WEIGHTINGS,
    LossCase,
    check_against_keras,
    check_unreduced_against_keras,
)
from torchseq import losses

N = 6

CASES = [
    # 0/1 labels are mapped to -1/1; -1/1 labels are used as they are
    LossCase("Hinge", {}, ("binary", (N, 3)), ("real", (N, 3))),
    LossCase("Hinge", {}, ("signed", (N, 3)), ("real", (N, 3))),
    LossCase("Hinge", {}, ("signed", (N,)), ("real", (N, 1))),
    LossCase("SquaredHinge", {}, ("binary", (N, 3)), ("real", (N, 3))),
    LossCase("SquaredHinge", {}, ("signed", (N, 5, 3)), ("real", (N, 5, 3))),
    LossCase("CategoricalHinge", {}, ("onehot", (N, 4)), ("real", (N, 4))),
    LossCase("CategoricalHinge", {}, ("onehot", (N, 5, 4)), ("simplex", (N, 5, 4))),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    check_against_keras(keras, case, weighting)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_and_function_match_keras(keras, case):
    check_unreduced_against_keras(keras, case)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([[0.0, 1.0]], [1.0]),  # read as -1, 1: mean(max(1 - [-0.5, 0.5], 0))
        ([[-1.0, 1.0]], [1.0]),
        ([[0.0, 2.0]], [0.5]),  # not binary: used as they are, mean(max(1 - [0, 1], 0))
    ],
)
def test_hinge_maps_binary_labels_on_the_device(labels, expected):
    value = losses.hinge(torch.tensor(labels), torch.tensor([[0.5, 0.5]]))
    torch.testing.assert_close(value, torch.tensor(expected))


@pytest.mark.parametrize("class_name", ["Hinge", "SquaredHinge", "CategoricalHinge"])
def test_config_matches_keras(keras, class_name):
    assert (
        getattr(losses, class_name)().get_config()
        == getattr(keras.losses, class_name)().get_config()
    )
