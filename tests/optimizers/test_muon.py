"""Tests for torchseq.optimizers.muon: Keras parity of both steps, exclusions, arguments."""

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
    gradient_sequence,
    initial_weights,
)
from torchseq import optimizers
from torchseq.optimizers import Muon

# Muon takes the wide and the tall matrix; AdamW the vector, the scalar and the 3-D weight.
SHAPES = [(3, 5), (6,), (5, 2), (), (2, 3, 4)]
EXPONENTIAL = (
    "ExponentialDecay",
    {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5},
)

CASES = [
    OptimizerCase("Muon"),
    OptimizerCase("Muon", {"learning_rate": 0.1, "weight_decay": 0.1, "adam_weight_decay": 0.05},
                  shapes=SHAPES),
    OptimizerCase("Muon", {"learning_rate": 0.05, "nesterov": False, "rms_rate": None,
                           "adam_lr_ratio": 0.5, "ns_steps": 3, "momentum": 0.8,
                           "weight_decay": None, "adam_weight_decay": None}, shapes=SHAPES),
    OptimizerCase("Muon", {"adam_beta_1": 0.5, "adam_beta_2": 0.9, "epsilon": 1e-3,
                           "muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5}, schedule=EXPONENTIAL),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


def test_variables_match_keras(keras):
    check_variables_match_keras(keras, CASES[1])


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"exclude_layers": ["output"]}, {"exclude_embeddings": False, "exclude_layers": ["^h"]}],
)
def test_exclusions_by_path_match_keras(keras, kwargs):
    names = ["token_embedding", "hidden_kernel", "output_kernel"]
    shapes = [(6, 3), (3, 4), (4, 2)]
    weights = initial_weights(shapes=shapes)
    variables = [keras.Variable(w, name=name) for w, name in zip(weights, names)]
    params = [torch.nn.Parameter(torch.from_numpy(w)) for w in weights]
    for param, name in zip(params, names):
        param.path = name
    theirs = keras.optimizers.Muon(learning_rate=0.1, **kwargs)
    ours = Muon(params, learning_rate=0.1, **kwargs)
    for grads in gradient_sequence(3, shapes=shapes):
        theirs.apply_gradients(zip([keras.ops.convert_to_tensor(g) for g in grads], variables))
        for param, grad in zip(params, grads):
            param.grad = torch.from_numpy(grad)
        ours.step()
    for param, variable in zip(params, variables):
        np.testing.assert_allclose(param.detach().numpy(), variable.numpy(), atol=1e-6)
    keras_shapes = [tuple(v.shape) for v in theirs.variables]
    assert [a.shape for a in ours.keras_variables()] == keras_shapes


def test_only_the_adam_weights_have_a_velocity():
    matrix, vector = torch.nn.Parameter(torch.ones(3, 4)), torch.nn.Parameter(torch.ones(4))
    embedding = torch.nn.Parameter(torch.ones(5, 4))
    embedding.path = "embedding/embeddings"
    optimizer = Muon([matrix, vector, embedding])
    assert [list(optimizer._slots_of(p)) for p in (matrix, vector, embedding)] == [
        ["momentum"], ["momentum", "velocity"], ["momentum", "velocity"],
    ]  # fmt: skip
    assert [tuple(v.shape) for v in optimizer.variables] == [
        (), (), (3, 4), (4,), (4,), (5, 4), (5, 4),
    ]  # fmt: skip


def test_orthogonalize_matches_keras_and_flattens_the_spectrum(keras):
    matrix = torch.from_numpy(initial_weights(shapes=[(6, 4)])[0])
    ours = Muon().orthogonalize(matrix)
    theirs = keras.optimizers.Muon().zeropower_via_newtonschulz5(matrix, 5)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    singular_values = torch.linalg.svdvals(ours)
    assert bool(((singular_values > 0.5) & (singular_values < 1.3)).all())
    with pytest.raises(ValueError, match=r"expects a tensor of rank >= 2, received: shape=\(4,\)"):
        Muon().orthogonalize(torch.ones(4))


def test_step_reads_nothing_back(monkeypatch):
    params = [torch.nn.Parameter(torch.ones(shape)) for shape in [(3, 2), (2,), (2, 2, 2)]]
    optimizer = Muon(params, clipnorm=1.0)
    check_step_reads_nothing_back(monkeypatch, optimizer, params)


def test_config_matches_keras_and_name_resolves(keras):
    kwargs = {"exclude_layers": ["head"], "ns_steps": 4, "rms_rate": None, "nesterov": False,
              "adam_weight_decay": None, "momentum": 0.9}  # fmt: skip
    check_config_matches_keras(keras, "Muon", kwargs)
    check_config_matches_keras(keras, "Muon", {})
    assert isinstance(optimizers.get("muon"), Muon)
    restored = optimizers.deserialize(keras.optimizers.serialize(keras.optimizers.Muon(**kwargs)))
    assert isinstance(restored, Muon) and restored.exclude_layers == ["head"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ns_steps": 2.5}, TypeError, r"Muon: ns_steps must be an int, received: ns_steps=2.5"),
        ({"ns_steps": -1}, ValueError, r"Muon: ns_steps must be >= 0, received: ns_steps=-1"),
        ({"exclude_layers": "output"}, TypeError,
         r"exclude_layers must be a list of strings or None, received: exclude_layers='output'"),
        ({"exclude_layers": ["ok", 3]}, TypeError, r"received the entry 3 of type int"),
        ({"exclude_layers": ["(unclosed"]}, ValueError,
         r"exclude_layers entries must be regular expressions, received: '\(unclosed'"),
        ({"momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], received: momentum=1.5"),
        ({"adam_lr_ratio": -1}, ValueError, "adam_lr_ratio must be a finite number >= 0"),
        ({"rms_rate": "0.2"}, TypeError, "rms_rate must be a number or None"),
    ],
)  # fmt: skip
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        Muon(**kwargs)
