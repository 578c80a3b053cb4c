"""Tests for torchseq.optimizers.schedule_free_adamw: parity, the algorithm, arguments.

Keras 3.15 on torch recovers ``x`` from the updated ``z`` (see ``harness.keras_class``);
the parity reference runs Keras's code with that slot updated out of place.
"""

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
from torchseq.optimizers import ScheduleFreeAdamW

SHAPES = [(4, 3), (6,), (), (2, 3, 4)]
EXPONENTIAL = (
    "ExponentialDecay",
    {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5},
)

CASES = [
    OptimizerCase("ScheduleFreeAdamW"),
    OptimizerCase("ScheduleFreeAdamW", {"learning_rate": 0.1, "weight_decay": 0.1,
                                        "warmup_steps": 3}, shapes=SHAPES),
    OptimizerCase("ScheduleFreeAdamW", {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-6},
                  schedule=EXPONENTIAL),
    OptimizerCase("ScheduleFreeAdamW", {"learning_rate": 0.01, "use_ema": True,
                                        "gradient_accumulation_steps": 2}, steps=6),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


def test_variables_match_keras(keras):
    check_variables_match_keras(keras, CASES[1])


def intended_rule(weights, grads, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """The algorithm in float64: z takes the steps, x averages z, y interpolates."""
    y = weights.astype("float64")
    z, v = y.copy(), np.zeros_like(y)
    for t, g in enumerate(grads, 1):
        x = (y - (1 - beta_1) * z) / beta_1  # from the previous z
        v = beta_2 * v + (1 - beta_2) * g * g
        z = z - lr * g / (np.sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (1 - 1 / t) * x + z / t
        y = (1 - beta_1) * z + beta_1 * x
    return y


def test_follows_the_schedule_free_algorithm():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=5).astype("float32")
    grads = [rng.normal(size=5).astype("float32") for _ in range(4)]
    param = torch.nn.Parameter(torch.from_numpy(weights.copy()))
    optimizer = ScheduleFreeAdamW([param], learning_rate=0.1)
    for grad in grads:
        param.grad = torch.from_numpy(grad)
        optimizer.step()
    np.testing.assert_allclose(param.detach().numpy(), intended_rule(weights, grads, 0.1),
                               rtol=1e-5, atol=1e-6)  # fmt: skip


def test_z_starts_at_the_weights_before_their_decay():
    param = torch.nn.Parameter(torch.full((3,), 2.0))
    optimizer = ScheduleFreeAdamW([param], learning_rate=0.5, weight_decay=0.1)
    np.testing.assert_array_equal(optimizer.keras_variables()[2], np.full(3, 2.0, "float32"))
    param.grad = torch.zeros(3)
    optimizer.step()
    # The first update sets x to z, so y = z: the undecayed 2 (a zero gradient leaves z),
    # where a z made after the decay would give 1.9.
    torch.testing.assert_close(param.detach(), torch.full((3,), 2.0))


def test_warmup_scales_the_first_steps():
    updates = []
    for warmup_steps in (0, 4):
        param = torch.nn.Parameter(torch.zeros(2))
        optimizer = ScheduleFreeAdamW([param], learning_rate=0.1, warmup_steps=warmup_steps)
        param.grad = torch.ones(2)
        optimizer.step()
        updates.append(param.detach().clone())
    torch.testing.assert_close(updates[1], updates[0] / 4)


def test_step_reads_nothing_back(monkeypatch):
    params = [torch.nn.Parameter(torch.ones(shape)) for shape in [(3, 2), (2,)]]
    optimizer = ScheduleFreeAdamW(params, weight_decay=0.1, warmup_steps=2)
    check_step_reads_nothing_back(monkeypatch, optimizer, params)


def test_config_matches_keras_and_name_resolves(keras):
    check_config_matches_keras(keras, "ScheduleFreeAdamW", {"beta_1": 0.95, "warmup_steps": 10})
    assert isinstance(optimizers.get("schedulefreeadamw"), ScheduleFreeAdamW)
    assert isinstance(optimizers.get("ScheduleFreeAdamW"), ScheduleFreeAdamW)


def test_default_name_is_keras_snake_case():
    assert ScheduleFreeAdamW().name == "schedule_free_adam_w"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"beta_1": 0.0}, ValueError,
         r"ScheduleFreeAdamW: beta_1 must be in \(0, 1\], received: beta_1=0.0"),
        ({"beta_2": 2.0}, ValueError, r"beta_2 must be in \[0, 1\]"),
        ({"warmup_steps": -1}, ValueError,
         r"ScheduleFreeAdamW: warmup_steps must be >= 0, received: warmup_steps=-1"),
        ({"warmup_steps": None}, TypeError,
         r"warmup_steps must be an int, received: warmup_steps=None of type NoneType"),
    ],
)  # fmt: skip
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ScheduleFreeAdamW(**kwargs)
