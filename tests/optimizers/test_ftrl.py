"""Tests for torchseq.optimizers.ftrl: Keras parity and arguments."""

from __future__ import annotations

import pytest

from tests.optimizers.harness import OptimizerCase, check_config_matches_keras, check_parity
from torchseq.optimizers import Ftrl

CASES = [
    OptimizerCase("Ftrl"),
    OptimizerCase("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.7}),
    OptimizerCase("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.5}),
    OptimizerCase(
        "Ftrl",
        {
            "learning_rate": 0.05,
            "initial_accumulator_value": 0.5,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.02,
            "l2_shrinkage_regularization_strength": 0.03,
            "beta": 0.1,
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"learning_rate_power": 0.5}, "learning_rate_power must be a finite number <= 0"),
        ({"initial_accumulator_value": -1.0}, "initial_accumulator_value=-1.0"),
        ({"l1_regularization_strength": -0.1}, "l1_regularization_strength=-0.1"),
        ({"l2_regularization_strength": -0.1}, "l2_regularization_strength=-0.1"),
        ({"l2_shrinkage_regularization_strength": -0.1}, "l2_shrinkage_regularization_strength"),
    ],
)
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Ftrl(**kwargs)


def test_config_matches_keras(keras):
    check_config_matches_keras(
        keras, "Ftrl", {"l1_regularization_strength": 0.1, "beta": 0.5, "learning_rate_power": -1.0}
    )
