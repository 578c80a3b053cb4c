"""Tests for torchseq.metrics.correlation: R2Score and the correlations; parity with keras.metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.metrics import MetricCase, check_config_round_trip, check_parity
from torchseq import losses, metrics

CASES = [
    MetricCase("R2Score", {}, "regression"),
    MetricCase("R2Score", {}, "regression_column"),
    MetricCase("R2Score", {"class_aggregation": None}, "regression"),
    MetricCase("R2Score", {"class_aggregation": "variance_weighted_average"}, "regression"),
    MetricCase("R2Score", {"num_regressors": 5}, "regression"),
    *[
        case
        for name in ("PearsonCorrelation", "ConcordanceCorrelation")
        for case in (
            MetricCase(name, {}, "regression"),
            MetricCase(name, {}, "regression_temporal"),
            MetricCase(name, {"axis": 1}, "regression_grid"),
            MetricCase(name, {"axis": (1, 2)}, "regression_grid"),
        )
    ],
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_parity_with_keras(case):
    check_parity(case)


@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
@pytest.mark.parametrize("axis", [-1, 0, (0, 1)])
def test_functions_match_keras(name, axis):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(2, 6, 3)).astype("float32")
    ours = getattr(metrics, name)(torch.from_numpy(y_true), torch.from_numpy(y_pred), axis=axis)
    theirs = getattr(keras.metrics, name)(y_true, y_pred, axis=axis)
    np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-5)


def test_functions_accept_lists():
    value = metrics.pearson_correlation(
        [[0.0, 1.0, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]
    )
    torch.testing.assert_close(value, torch.tensor([1.0, 0.9934]), atol=1e-4, rtol=0)


def test_adjusted_r2_falls_back_to_plain_r2_without_enough_values_as_keras_does():
    keras = pytest.importorskip("keras")
    y_true = np.array([[1.0], [4.0], [3.0], [2.0]], "float32")
    y_pred = np.array([[2.0], [4.0], [4.0], [1.0]], "float32")
    for num_regressors in (3, 9):  # n - 1 == p, then n - 1 < p
        ours = metrics.R2Score(num_regressors=num_regressors)
        ours.update_state(torch.from_numpy(y_true), torch.from_numpy(y_pred))
        theirs = keras.metrics.R2Score(num_regressors=num_regressors)
        theirs.update_state(y_true, y_pred)
        with pytest.warns(UserWarning, match="Falling back to standard R2"):
            expected = float(theirs.result())
        assert ours.result().item() == pytest.approx(expected)
        assert ours.result().item() == pytest.approx(1 - 3 / 5)


def test_r2_state_is_sized_by_the_first_batch_and_resets():
    metric = metrics.R2Score(class_aggregation=None)
    assert metric.result().item() == 0.0  # nothing seen yet
    metric.update_state(torch.rand(4, 3), torch.rand(4, 3), sample_weight=2.0)
    assert metric.result().shape == (3,)
    assert metric.count.tolist() == [8.0, 8.0, 8.0]
    assert metric.num_samples.item() == 12
    metric.reset_state()
    assert metric.sum.shape == (3,)
    assert [v.abs().sum().item() for v in metric.variables] == [0.0] * 5


def test_names_and_direction_follow_keras():
    assert [metrics.R2Score().name, metrics.PearsonCorrelation().name] == [
        "r2_score",
        "pearson_correlation",
    ]
    assert metrics.ConcordanceCorrelation().name == "concordance_correlation"
    for cls in (metrics.R2Score, metrics.PearsonCorrelation, metrics.ConcordanceCorrelation):
        assert cls._direction == "up"


ROUND_TRIP = [
    metrics.R2Score(class_aggregation="variance_weighted_average", num_regressors=2, name="r2"),
    metrics.R2Score(class_aggregation=None, dtype="float64"),
    metrics.PearsonCorrelation(axis=(1, 2)),
    metrics.ConcordanceCorrelation(name="ccc", axis=0),
]


@pytest.mark.parametrize("metric", ROUND_TRIP, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    check_config_round_trip(metric)


def test_loss_functions_are_exported_as_the_same_objects():
    for name in ("binary_crossentropy", "categorical_focal_crossentropy", "huber", "poisson",
                 "kl_divergence", "hinge", "squared_hinge", "categorical_hinge",
                 "sparse_categorical_crossentropy"):  # fmt: skip
        assert getattr(metrics, name) is getattr(losses, name)


# (class, kwargs, error, message)
BAD_ARGUMENTS = [
    (metrics.R2Score, {"class_aggregation": "mean"}, ValueError, r"R2Score: class_aggregation must be one of \[None, 'uniform_average', 'variance_weighted_average'\], received: class_aggregation='mean'"),
    (metrics.R2Score, {"num_regressors": -1}, ValueError, r"num_regressors must be >= 0, received: num_regressors=-1"),
    (metrics.R2Score, {"num_regressors": 1.5}, TypeError, r"num_regressors=1.5 of type float"),
    (metrics.PearsonCorrelation, {"axis": "last"}, TypeError, r"PearsonCorrelation: axis must be an int or a tuple of ints, received: axis='last'"),
    (metrics.ConcordanceCorrelation, {"axis": ()}, TypeError, r"axis must be an int or a tuple of ints, received: axis=\(\)"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_bad_inputs_name_the_shapes():
    with pytest.raises(ValueError, match=r"R2Score: y_true and y_pred must be 2D.*y_true=\(4,\)"):
        metrics.R2Score().update_state(torch.zeros(4), torch.zeros(4))
    metric = metrics.R2Score()
    with pytest.raises(ValueError, match=r"sample_weight must be .* received shape \(3,\)"):
        metric.update_state(torch.zeros(4, 2), torch.zeros(4, 2), sample_weight=torch.ones(3))
