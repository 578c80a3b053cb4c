"""Tests for torchseq.losses.regression: parity with keras.losses, options and errors."""

from __future__ import annotations

import pytest
import torch

from tests.losses.harness import (
    WEIGHTINGS,
    LossCase,
    check_against_keras,
    check_unreduced_against_keras,
)
from torchseq import losses

N = 6

CASES = [
    LossCase("MeanSquaredError", {}, ("real", (N, 3)), ("real", (N, 3))),
    LossCase("MeanSquaredError", {}, ("real", (N,)), ("real", (N, 1))),
    LossCase("MeanSquaredError", {}, ("real", (N, 1)), ("real", (N,))),
    LossCase("MeanSquaredError", {}, ("real", (N, 5)), ("real", (N, 5, 1))),
    LossCase("MeanSquaredError", {}, ("real", (N, 5, 3)), ("real", (N, 5, 3))),
    LossCase("MeanAbsoluteError", {}, ("real", (N, 3)), ("real", (N, 3))),
    LossCase("MeanAbsoluteError", {}, ("real", (N, 5, 3)), ("real", (N, 5, 3))),
    LossCase("MeanAbsolutePercentageError", {}, ("near_zero", (N, 3)), ("real", (N, 3))),
    LossCase("MeanSquaredLogarithmicError", {}, ("real", (N, 3)), ("positive", (N, 3))),
    LossCase("MeanSquaredLogarithmicError", {}, ("positive", (N,)), ("real", (N, 1))),
    LossCase("CosineSimilarity", {}, ("near_zero", (N, 3)), ("real", (N, 3))),
    LossCase("CosineSimilarity", {"axis": 1}, ("real", (N, 4, 2)), ("real", (N, 4, 2))),
    LossCase("Huber", {}, ("real", (N, 3)), ("logits", (N, 3))),
    LossCase("Huber", {"delta": 0.5}, ("real", (N, 5, 3)), ("real", (N, 5, 3))),
    LossCase("Huber", {"delta": 2.5}, ("real", (N,)), ("logits", (N, 1))),
    LossCase("LogCosh", {}, ("real", (N, 3)), ("logits", (N, 3))),
    LossCase("LogCosh", {}, ("real", (N, 5, 3)), ("real", (N, 5, 3))),
]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_keras(keras, case, weighting):
    check_against_keras(keras, case, weighting)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_unreduced_and_function_match_keras(keras, case):
    check_unreduced_against_keras(keras, case)


def test_log_cosh_does_not_overflow():
    value = losses.log_cosh(torch.zeros(1, 2), torch.tensor([[1000.0, -1000.0]]))
    torch.testing.assert_close(value, torch.tensor([1000.0 - 0.6931472]))


def test_cosine_similarity_of_a_zero_vector_is_zero():
    value = losses.cosine_similarity(torch.zeros(1, 3), torch.ones(1, 3))
    assert value.tolist() == [0.0]


def test_function_forms_take_arrays_and_integer_predictions():
    value = losses.mean_squared_error([[1, 2]], [[1, 4]])
    assert value.dtype == torch.float32
    assert value.tolist() == [2.0]


@pytest.mark.parametrize(
    ("class_name", "kwargs", "keras_config"),
    [
        ("MeanSquaredError", {}, None),
        ("MeanAbsoluteError", {}, None),
        ("MeanAbsolutePercentageError", {}, None),
        ("MeanSquaredLogarithmicError", {}, None),
        ("LogCosh", {}, None),
        # Keras 3 leaves delta and axis out of the config; torchseq keeps them
        ("Huber", {"delta": 2.0}, {"delta": 2.0}),
        ("CosineSimilarity", {"axis": 1}, {"axis": 1}),
    ],
)
def test_config_is_keras_config_plus_lost_options(keras, class_name, kwargs, keras_config):
    ours = getattr(losses, class_name)(**kwargs).get_config()
    theirs = getattr(keras.losses, class_name)(**kwargs).get_config()
    assert ours == {**theirs, **(keras_config or {})}
    again = getattr(losses, class_name).from_config(ours)
    assert again.get_config() == ours


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (
            lambda: losses.Huber(delta=0.0),
            ValueError,
            r"delta must be in \(0.0, inf\], received: delta=0.0",
        ),
        (
            lambda: losses.Huber(delta="1"),
            TypeError,
            r"delta must be a number, received: delta='1'",
        ),
        (
            lambda: losses.huber(torch.ones(2), torch.ones(2), delta=-1.0),
            ValueError,
            r"delta must be in",
        ),
        (
            lambda: losses.CosineSimilarity(axis=1.0),
            TypeError,
            r"axis must be an int, received: axis=1.0",
        ),
        (
            lambda: losses.MeanSquaredError(name=3),
            TypeError,
            r"name must be a string or None, received: name=3",
        ),
        (lambda: losses.MeanSquaredError(dtype="float31"), ValueError, r"Unknown dtype"),
    ],
)
def test_bad_options(make, error, match):
    with pytest.raises(error, match=match):
        make()
