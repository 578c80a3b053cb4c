"""Tests for torchseq.optimizers.adafactor: Keras parity, variables, arguments."""

from __future__ import annotations

import numpy as np
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
from torchseq.optimizers import Adafactor

# The factored weights (rank >= 2, tall and wide), a vector, a scalar (unfactored).
SHAPES = [(4, 3), (6,), (2, 5), (), (2, 3, 4)]
EXPONENTIAL = (
    "ExponentialDecay",
    {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5},
)

CASES = [
    OptimizerCase("Adafactor"),
    OptimizerCase("Adafactor", {"learning_rate": 0.1, "weight_decay": 0.1}, shapes=SHAPES),
    OptimizerCase(
        "Adafactor",
        {"learning_rate": 0.5, "clip_threshold": 0.5, "epsilon_2": 0.1, "beta_2_decay": -0.5},
        shapes=SHAPES,
    ),
    OptimizerCase("Adafactor", {"relative_step": False}, schedule=EXPONENTIAL),
    OptimizerCase("Adafactor", {"learning_rate": 0.1, "clipnorm": 1.0, "use_ema": True,
                                "gradient_accumulation_steps": 2}, steps=6),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


@pytest.mark.parametrize("case", CASES[1:3], ids=str)
def test_variables_match_keras(keras, case):
    check_variables_match_keras(keras, case)


def test_factored_slots_and_int32_placeholders():
    kernel, bias = torch.nn.Parameter(torch.ones(4, 3)), torch.nn.Parameter(torch.ones(3))
    optimizer = Adafactor([kernel, bias])
    shapes = [(tuple(v.shape), v.dtype) for v in optimizer.variables]
    assert shapes == [
        ((), torch.int32), ((), torch.float32),  # iteration, learning rate
        ((4,), torch.float32), ((3,), torch.float32), ((4, 3), torch.float32),
        ((), torch.int32), ((), torch.int32), ((3,), torch.float32),
    ]  # fmt: skip


def test_state_dict_round_trip_keeps_the_placeholders_int32():
    params = [torch.nn.Parameter(torch.ones(4, 3)), torch.nn.Parameter(torch.ones(3))]
    source = Adafactor(params, learning_rate=0.1)
    for param in params:
        param.grad = torch.full_like(param, 0.3)
    source.step()
    target = Adafactor(params, learning_rate=0.1)
    target.load_state_dict(source.state_dict())
    assert [a.dtype for a in target.keras_variables()] == [
        a.dtype for a in source.keras_variables()
    ]
    for ours, theirs in zip(target.keras_variables(), source.keras_variables()):
        np.testing.assert_array_equal(ours, theirs)


def test_a_permuted_weight_is_factored_on_keras_axes():
    """A conv kernel stored (out, in, kh, kw) is factored over Keras's (in, out) axes."""
    keras_kernel = torch.randn(3, 3, 2, 4)  # (kh, kw, in, out)
    grad = torch.randn(3, 3, 2, 4)
    plain = torch.nn.Parameter(keras_kernel.clone())
    stored = torch.nn.Parameter(keras_kernel.permute(3, 2, 0, 1).clone())
    stored._keras_layout = (3, 2, 0, 1)
    optimizers_ = [Adafactor([plain], learning_rate=0.1), Adafactor([stored], learning_rate=0.1)]
    for _ in range(3):
        plain.grad, stored.grad = grad.clone(), grad.permute(3, 2, 0, 1).clone()
        for optimizer in optimizers_:
            optimizer.step()
    torch.testing.assert_close(stored.detach().permute(2, 3, 1, 0), plain.detach())
    row = optimizers_[1].state[stored]["row_moment"]
    assert row.shape == (3, 3, 2)


def test_step_reads_nothing_back(monkeypatch):
    params = [torch.nn.Parameter(torch.ones(shape)) for shape in [(3, 2), (2,), ()]]
    optimizer = Adafactor(params, weight_decay=0.1, clipnorm=1.0)
    check_step_reads_nothing_back(monkeypatch, optimizer, params)


def test_config_matches_keras_and_name_resolves(keras):
    check_config_matches_keras(
        keras, "Adafactor", {"beta_2_decay": -0.6, "epsilon_2": 1e-2, "relative_step": False}
    )
    assert isinstance(optimizers.get("adafactor"), Adafactor)
    assert isinstance(optimizers.deserialize(keras.optimizers.serialize(
        keras.optimizers.Adafactor(clip_threshold=0.5))), Adafactor)  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"beta_2_decay": 0.5}, ValueError,
         r"Adafactor: beta_2_decay must be a finite number <= 0, received: beta_2_decay=0.5"),
        ({"epsilon_1": -1.0}, ValueError, "epsilon_1 must be a finite number >= 0"),
        ({"clip_threshold": 0.0}, ValueError,
         r"clip_threshold must be a finite number > 0, received: clip_threshold=0.0"),
        ({"epsilon_2": "1e-3"}, TypeError, "epsilon_2 must be a number"),
    ],
)  # fmt: skip
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        Adafactor(**kwargs)
