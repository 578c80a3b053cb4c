"""Tests for torchseq.optimizers.adam: Adam, AdamW, Adamax and Nadam against Keras."""

from __future__ import annotations

import pytest
import torch

from tests.optimizers.harness import OptimizerCase, check_config_matches_keras, check_parity
from torchseq.optimizers import Adam, Adamax, AdamW, Nadam

CASES = [
    OptimizerCase("Adam"),
    OptimizerCase("Adam", {"learning_rate": 0.1}),
    OptimizerCase("Adam", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    OptimizerCase("Adam", {"learning_rate": 0.05, "amsgrad": True}),
    OptimizerCase("AdamW"),
    OptimizerCase("AdamW", {"learning_rate": 0.1, "weight_decay": 0.05, "amsgrad": True}),
    OptimizerCase("Adamax"),
    OptimizerCase("Adamax", {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.9}),
    OptimizerCase("Nadam"),
    OptimizerCase("Nadam", {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.99}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


def test_nadam_momentum_product_is_saved_and_restored():
    def run(steps, optimizer, param):
        for _ in range(steps):
            param.grad = torch.full((3,), 0.5)
            optimizer.step()

    param = torch.nn.Parameter(torch.ones(3))
    whole = Nadam([param], learning_rate=0.1)
    run(4, whole, param)
    resumed_param = torch.nn.Parameter(torch.ones(3))
    first = Nadam([resumed_param], learning_rate=0.1)
    run(2, first, resumed_param)
    second = Nadam([resumed_param], learning_rate=0.1)
    second.load_state_dict(first.state_dict())
    run(2, second, resumed_param)
    assert second.state_dict()["extra_state"] == whole.state_dict()["extra_state"]
    torch.testing.assert_close(resumed_param, param)


def test_adam_slots_in_keras_order():
    params = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    optimizer = Adam(params, amsgrad=True)
    names = [list(optimizer._slots_of(p)) for p in params]
    assert names == [["momentum", "velocity", "velocity_hat"]] * 2
    # Keras: the moments interleaved per weight, then AMSGrad's maxima per weight
    shapes = [(), (), (2,), (2,), (3,), (3,), (2,), (3,)]
    assert [tuple(v.shape) for v in optimizer.variables] == shapes


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "match"),
    [
        (Adam, {"beta_1": 1.5}, ValueError, r"Adam: beta_1 must be in \[0, 1\], received: beta_1=1.5"),
        (Adam, {"epsilon": -1.0}, ValueError, "epsilon must be a finite number >= 0"),
        (AdamW, {"weight_decay": None}, ValueError, "AdamW: weight_decay must be a number"),
        (Adamax, {"beta_2": "0.9"}, TypeError, "beta_2 must be a number"),
        (Nadam, {"beta_2": float("nan")}, ValueError, "beta_2=nan"),
    ],
)
def test_argument_errors(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("Adam", {"beta_1": 0.8, "amsgrad": True}),
        ("AdamW", {"weight_decay": 0.01}),
        ("Adamax", {"epsilon": 1e-5}),
        ("Nadam", {"beta_2": 0.99}),
    ],
)
def test_config_matches_keras(keras, name, kwargs):
    check_config_matches_keras(keras, name, kwargs)
