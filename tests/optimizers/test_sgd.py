"""Tests for torchseq.optimizers.sgd: Keras parity, Keras 2's spelling, arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.optimizers.harness import (
    OptimizerCase,
    check_config_matches_keras,
    check_parity,
    gradient_sequence,
    initial_weights,
)
from torchseq.optimizers import SGD

pytestmark = pytest.mark.filterwarnings("ignore:.*decay=...\\) is Keras 2:DeprecationWarning")

CASES = [
    OptimizerCase("SGD"),
    OptimizerCase("SGD", {"learning_rate": 0.1}),
    OptimizerCase("SGD", {"momentum": 0.9}),
    OptimizerCase("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    OptimizerCase("SGD", {"momentum": 0.5, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


@pytest.mark.parametrize("decay", [1e-6, 0.1])
def test_keras2_spelling_follows_keras2_formula(decay):
    """``SGD(lr=0.01, decay=..., momentum=0.9, nesterov=True)``: ``lr / (1 + decay * t)``."""
    params = [torch.nn.Parameter(torch.from_numpy(w)) for w in initial_weights()]
    optimizer = SGD(params, lr=0.01, decay=decay, momentum=0.9, nesterov=True)
    weights = [w.astype("float64") for w in initial_weights()]
    velocities = [np.zeros_like(w) for w in weights]
    for t, grads in enumerate(gradient_sequence(5)):
        rate = 0.01 / (1 + decay * t)
        for i, g in enumerate(grads):
            velocities[i] = 0.9 * velocities[i] - rate * g
            weights[i] = weights[i] + 0.9 * velocities[i] - rate * g
        for param, g in zip(params, grads):
            param.grad = torch.from_numpy(g)
        optimizer.step()
        for param, want in zip(params, weights):
            np.testing.assert_allclose(param.detach().numpy(), want, rtol=0, atol=1e-6)
    assert optimizer.learning_rate == 0.01  # Keras 2's `lr` reads the undecayed rate
    assert optimizer.get_config()["decay"] == decay


def test_keras_positional_arguments():
    optimizer = SGD(0.05, 0.9, True)
    assert (optimizer.learning_rate, optimizer.momentum, optimizer.nesterov) == (0.05, 0.9, True)
    assert not optimizer.built


def test_same_trajectory_as_torch_sgd_in_a_plain_loop():
    """With a constant rate Keras's and torch's momentum formulations agree."""
    torch.manual_seed(0)
    x, y = torch.randn(64, 5), torch.randn(64, 1)
    ours_model = torch.nn.Linear(5, 1)
    torch_model = torch.nn.Linear(5, 1)
    torch_model.load_state_dict(ours_model.state_dict())
    ours = SGD(ours_model.parameters(), learning_rate=0.05, momentum=0.9, nesterov=True)
    reference = torch.optim.SGD(torch_model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    for model, optimizer in ((ours_model, ours), (torch_model, reference)):
        for _ in range(20):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
    for mine, theirs in zip(ours_model.parameters(), torch_model.parameters()):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6)


def test_no_momentum_slot_without_momentum():
    param = torch.nn.Parameter(torch.ones(2))
    optimizer = SGD([param])
    param.grad = torch.ones(2)
    optimizer.step()
    assert dict(optimizer.state[param]) == {}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], received: momentum=1.5"),
        ({"momentum": -0.1}, ValueError, "momentum=-0.1"),
        ({"momentum": "0.9"}, TypeError, "momentum must be a number"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        SGD(**kwargs)


def test_config_matches_keras(keras):
    check_config_matches_keras(
        keras, "SGD", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True, "clipnorm": 1.0}
    )


def test_keras2_decay_warns_that_keras2_deprecated_it():
    with pytest.warns(DeprecationWarning, match="Keras 2's time decay"):
        SGD(lr=0.01, decay=1e-6)
