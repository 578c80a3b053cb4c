"""Tests for torchseq.optimizers.lion: Keras parity and arguments."""

from __future__ import annotations

import pytest

from tests.optimizers.harness import OptimizerCase, check_config_matches_keras, check_parity
from torchseq.optimizers import Lion

CASES = [
    OptimizerCase("Lion"),
    OptimizerCase("Lion", {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9}),
    OptimizerCase("Lion", {"learning_rate": 0.01, "weight_decay": 0.5}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"beta_1": 0.0}, ValueError, r"Lion: beta_1 must be in \(0, 1\], received: beta_1=0.0"),
        ({"beta_2": 1.1}, ValueError, "beta_2=1.1"),
        ({"beta_1": None}, TypeError, "beta_1 must be a number"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        Lion(**kwargs)


def test_config_matches_keras(keras):
    check_config_matches_keras(keras, "Lion", {"beta_1": 0.8, "beta_2": 0.95})
