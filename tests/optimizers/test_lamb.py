"""Tests for torchseq.optimizers.lamb: Keras parity, trust ratios, arguments."""

from __future__ import annotations

import pytest
import torch

from tests.optimizers.harness import (
    OptimizerCase,
    check_config_matches_keras,
    check_parity,
    check_step_reads_nothing_back,
    check_variables_match_keras,
)
from torchseq import optimizers
from torchseq.optimizers import Lamb

SHAPES = [(4, 3), (6,), (2, 5), (2, 3, 4)]
EXPONENTIAL = (
    "ExponentialDecay",
    {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5},
)

CASES = [
    OptimizerCase("Lamb"),
    OptimizerCase("Lamb", {"learning_rate": 0.1, "weight_decay": 0.1}, shapes=SHAPES),
    OptimizerCase("Lamb", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}, shapes=SHAPES),
    OptimizerCase("Lamb", {"global_clipnorm": 1.0}, schedule=EXPONENTIAL),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


def test_variables_match_keras(keras):
    check_variables_match_keras(keras, CASES[1])


def test_trust_ratio_scales_each_weight_to_its_norm():
    # With one step, m / sqrt(v) is sign(g) (up to epsilon): the update has norm sqrt(n),
    # so each weight moves by lr * ||w|| / sqrt(n) per element, whatever the gradient scale.
    small, large = torch.nn.Parameter(torch.full((4,), 2.0)), torch.nn.Parameter(torch.ones(9))
    optimizer = Lamb([small, large], learning_rate=0.1)
    small.grad, large.grad = torch.full((4,), 1e-3), torch.full((9,), 50.0)
    optimizer.step()
    torch.testing.assert_close(small.detach(), torch.full((4,), 2.0 - 0.1 * 4.0 / 2.0))
    torch.testing.assert_close(large.detach(), torch.full((9,), 1.0 - 0.1 * 3.0 / 3.0))


def test_a_zero_weight_takes_the_plain_adam_step():
    weight = torch.nn.Parameter(torch.zeros(3))
    optimizer = Lamb([weight], learning_rate=0.1)
    weight.grad = torch.tensor([1.0, -2.0, 0.0])
    optimizer.step()
    torch.testing.assert_close(weight.detach(), torch.tensor([-0.1, 0.1, 0.0]))


def test_slots_in_keras_order():
    params = [torch.nn.Parameter(torch.ones(2, 3)), torch.nn.Parameter(torch.ones(3))]
    optimizer = Lamb(params)
    shapes = [tuple(v.shape) for v in optimizer.variables]
    assert shapes == [(), (), (2, 3), (2, 3), (3,), (3,)]  # momentum, velocity per weight


def test_step_reads_nothing_back(monkeypatch):
    params = [torch.nn.Parameter(torch.ones(shape)) for shape in [(3, 2), (2,)]]
    optimizer = Lamb(params, weight_decay=0.1, clipvalue=1.0)
    check_step_reads_nothing_back(monkeypatch, optimizer, params)


def test_config_matches_keras_and_names_resolve(keras):
    check_config_matches_keras(keras, "Lamb", {"beta_1": 0.8, "epsilon": 1e-6})
    assert isinstance(optimizers.get("lamb"), Lamb)
    restored = optimizers.deserialize(keras.optimizers.serialize(keras.optimizers.Lamb(beta_2=0.9)))
    assert isinstance(restored, Lamb) and restored.beta_2 == 0.9


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"beta_1": 1.5}, ValueError, r"Lamb: beta_1 must be in \[0, 1\], received: beta_1=1.5"),
        ({"epsilon": -1.0}, ValueError, "Lamb: epsilon must be a finite number >= 0"),
        ({"beta_2": None}, TypeError, "Lamb: beta_2 must be a number, received: beta_2=None"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        Lamb(**kwargs)
