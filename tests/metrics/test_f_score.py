"""Tests for torchseq.metrics.f_score: parity with keras.metrics F1Score/FBetaScore, lazy state."""

from __future__ import annotations

import pytest
import torch

from tests.metrics import MetricCase, check_parity
from torchseq import metrics

CASES = [
    MetricCase("F1Score", {}, "categorical"),
    MetricCase("F1Score", {}, "multilabel"),
    MetricCase("F1Score", {"average": "micro"}, "multilabel"),
    MetricCase("F1Score", {"average": "macro", "threshold": 0.5}, "multilabel"),
    MetricCase("F1Score", {"average": "weighted", "threshold": 0.3}, "multilabel"),
    MetricCase("FBetaScore", {"beta": 2.0, "average": "macro"}, "multilabel"),
]

# (class, kwargs, error, message)
BAD_ARGUMENTS = [
    (metrics.F1Score, {"average": "mean"}, ValueError, r"average must be one of \[None, 'micro'"),
    (metrics.F1Score, {"threshold": 1.5}, ValueError, r"threshold must be in \(0, 1\]"),
    (metrics.FBetaScore, {"beta": 0.0}, ValueError, r"beta must be > 0"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_default_names_are_fixed_as_in_keras():
    assert metrics.F1Score().name == metrics.F1Score().name == "f1_score"
    assert metrics.FBetaScore().name == "fbeta_score"


def test_lazy_state_takes_its_size_from_the_first_batch_and_its_dtype_from_to():
    metric = metrics.F1Score().to(torch.float64)
    with pytest.raises(ValueError, match="no result before its first update_state"):
        metric.result()
    metric.reset_state()  # nothing to reset yet, and no error
    metric.update_state(torch.eye(3, dtype=torch.float64), torch.eye(3, dtype=torch.float64))
    assert metric.true_positives.shape == (3,)
    assert metric.true_positives.dtype == torch.float64


def test_bad_inputs_name_the_shapes():
    with pytest.raises(ValueError, match=r"expects 2D inputs .* y_pred.shape=\(3,\)"):
        metrics.F1Score().update_state(torch.ones(3), torch.ones(3))
