"""Tests for torchseq.optimizers.rmsprop: Keras parity (epsilon inside the root), arguments."""

from __future__ import annotations

import pytest
import torch

from tests.optimizers.harness import OptimizerCase, check_config_matches_keras, check_parity
from torchseq.optimizers import RMSprop

CASES = [
    OptimizerCase("RMSprop"),
    OptimizerCase("RMSprop", {"learning_rate": 0.1, "rho": 0.5}),
    OptimizerCase("RMSprop", {"momentum": 0.9}),
    OptimizerCase("RMSprop", {"centered": True}),
    OptimizerCase("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    OptimizerCase("RMSprop", {"epsilon": 1e-3}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


def test_epsilon_is_inside_the_square_root():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = RMSprop([param], learning_rate=1.0, rho=0.0, epsilon=3.0)
    param.grad = torch.ones(1)
    optimizer.step()
    torch.testing.assert_close(param.detach(), torch.tensor([-0.5]))  # 1 / sqrt(1 + 3)


def test_slots_follow_options():
    param = torch.nn.Parameter(torch.ones(2))
    optimizer = RMSprop([param], momentum=0.9, centered=True)
    param.grad = torch.ones(2)
    optimizer.step()
    assert list(optimizer.state[param]) == ["velocity", "momentum", "average_gradient"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rho": 1.5}, ValueError, r"RMSprop: rho must be in \[0, 1\], received: rho=1.5"),
        ({"momentum": -1}, ValueError, "momentum=-1"),
        ({"epsilon": None}, TypeError, "epsilon must be a number"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        RMSprop(**kwargs)


def test_config_matches_keras(keras):
    check_config_matches_keras(keras, "RMSprop", {"rho": 0.8, "momentum": 0.1, "centered": True})
