"""Tests for torchseq.losses.probabilistic: parity with keras.losses."""

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
    LossCase("KLDivergence", {}, ("simplex", (N, 4)), ("simplex", (N, 4))),
    LossCase("KLDivergence", {}, ("onehot", (N, 4)), ("unit", (N, 4))),
    LossCase("KLDivergence", {}, ("simplex", (N, 5, 4)), ("simplex", (N, 5, 4))),
    LossCase("Poisson", {}, ("positive", (N, 3)), ("positive", (N, 3))),
    LossCase("Poisson", {}, ("positive", (N,)), ("positive", (N, 1))),
    LossCase("Poisson", {}, ("positive", (N, 5, 3)), ("positive", (N, 5, 3))),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    check_against_keras(keras, case, weighting)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_and_function_match_keras(keras, case):
    check_unreduced_against_keras(keras, case)


def test_kl_divergence_of_equal_distributions_is_zero():
    p = torch.tensor([[0.25, 0.75]])
    torch.testing.assert_close(losses.kl_divergence(p, p), torch.zeros(1))


@pytest.mark.parametrize("class_name", ["KLDivergence", "Poisson"])
def test_config_matches_keras(keras, class_name):
    assert (
        getattr(losses, class_name)().get_config()
        == getattr(keras.losses, class_name)().get_config()
    )
