"""Tests for torchseq.metrics.regression: parity with keras.metrics."""

from __future__ import annotations

import pytest
import torch

from tests.metrics import MetricCase, check_parity
from torchseq import metrics

NAMES = [
    "MeanSquaredError",
    "RootMeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "LogCoshError",
]
CASES = [
    MetricCase(name, {}, data, rtol=1e-5)
    for name in NAMES
    for data in ("regression", "regression_column", "regression_temporal")
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


# (class, default name); Keras spells LogCoshError's default "logcosh"
DEFAULT_NAMES = [
    (metrics.MeanSquaredError, "mean_squared_error"),
    (metrics.RootMeanSquaredError, "root_mean_squared_error"),
    (metrics.MeanAbsoluteError, "mean_absolute_error"),
    (metrics.MeanAbsolutePercentageError, "mean_absolute_percentage_error"),
    (metrics.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error"),
    (metrics.CosineSimilarity, "cosine_similarity"),
    (metrics.LogCoshError, "logcosh"),
]


@pytest.mark.parametrize(("cls", "name"), DEFAULT_NAMES, ids=lambda x: getattr(x, "__name__", x))
def test_default_names(cls, name):
    assert cls().name == name


def test_root_mean_squared_error_is_the_root_of_the_weighted_mean():
    metric = metrics.RootMeanSquaredError()
    metric.update_state(torch.tensor([[0.0], [0.0]]), torch.tensor([[3.0], [1.0]]), [1.0, 0.0])
    torch.testing.assert_close(metric.result(), torch.tensor(3.0))
