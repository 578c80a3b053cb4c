"""Tests for torchseq.optimizers.adagrad: Adagrad and Adadelta against Keras."""

from __future__ import annotations

import pytest
import torch

from tests.optimizers.harness import OptimizerCase, check_config_matches_keras, check_parity
from torchseq.optimizers import Adadelta, Adagrad

CASES = [
    OptimizerCase("Adagrad"),
    OptimizerCase("Adagrad", {"learning_rate": 0.5}),
    OptimizerCase("Adagrad", {"initial_accumulator_value": 0.0, "epsilon": 1e-3}),
    OptimizerCase("Adadelta"),
    OptimizerCase("Adadelta", {"learning_rate": 1.0, "rho": 0.5}),
    OptimizerCase("Adadelta", {"learning_rate": 1.0, "epsilon": 1e-3}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


def test_adagrad_accumulator_starts_at_keras_value():
    param = torch.nn.Parameter(torch.zeros(2))
    optimizer = Adagrad([param])
    param.grad = torch.zeros(2)
    optimizer.step()
    torch.testing.assert_close(optimizer.state[param]["accumulator"], torch.full((2,), 0.1))


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "match"),
    [
        (Adagrad, {"initial_accumulator_value": -0.1}, ValueError,
         "initial_accumulator_value must be a finite number >= 0"),
        (Adagrad, {"epsilon": "small"}, TypeError, "Adagrad: epsilon must be a number"),
        (Adadelta, {"rho": 2}, ValueError, r"Adadelta: rho must be in \[0, 1\], received: rho=2"),
    ],
)
def test_argument_errors(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("Adagrad", {"initial_accumulator_value": 0.2}), ("Adadelta", {"rho": 0.9})],
)
def test_config_matches_keras(keras, name, kwargs):
    check_config_matches_keras(keras, name, kwargs)
