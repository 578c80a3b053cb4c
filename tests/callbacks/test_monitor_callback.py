"""MonitorCallback: which direction counts as an improvement, and by how much."""

from __future__ import annotations

import operator
import types

import pytest

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks.monitor_callback import MonitorCallback


def _metric(name, direction):
    return types.SimpleNamespace(name=name, _direction=direction)


# (monitor, mode, the model's metrics, expected comparison)
DIRECTIONS = [
    ("val_loss", "auto", [], operator.lt),
    ("loss", "auto", [], operator.lt),
    ("val_accuracy", "auto", [], operator.gt),
    ("acc", "auto", [], operator.gt),
    ("val_age_mae", "auto", [], operator.lt),
    ("val_income_accuracy", "auto", [], operator.gt),
    ("val_auc", "auto", [], operator.gt),
    ("val_score", "auto", [_metric("score", "up")], operator.gt),
    ("val_error", "auto", [_metric("error", "down")], operator.lt),
    # A metric's own direction wins over the name (Keras 3 looks at the metrics first).
    ("accuracy", "auto", [_metric("accuracy", "down")], operator.lt),
    ("val_score", "auto", [types.SimpleNamespace(metrics=[_metric("score", "up")])], operator.gt),
    ("val_loss", "max", [], operator.gt),
    ("val_accuracy", "min", [], operator.lt),
]


@pytest.mark.parametrize(("monitor", "mode", "metrics", "expected"), DIRECTIONS)
def test_direction(monitor, mode, metrics, expected):
    model = FakeModel()
    model.metrics = metrics
    callback = MonitorCallback(monitor, mode)
    callback.set_model(model)
    callback._set_monitor_op()
    assert callback.monitor_op is expected


@pytest.mark.parametrize(
    ("mode", "current", "reference", "improves"),
    [
        ("min", 0.85, 1.0, True),
        ("min", 0.95, 1.0, False),  # not by more than min_delta=0.1
        ("max", 1.15, 1.0, True),
        ("max", 1.05, 1.0, False),
        ("min", 5.0, None, True),
    ],
)
def test_min_delta(mode, current, reference, improves):
    callback = MonitorCallback("val_loss", mode, min_delta=-0.1)
    callback._set_monitor_op()
    assert callback._is_improvement(current, reference) is improves


def test_unknown_quantity_in_auto_mode():
    callback = MonitorCallback("val_widgets")
    callback.set_model(FakeModel())
    with pytest.raises(ValueError, match="monitor='val_widgets'.*mode='max'.*mode='min'"):
        callback._set_monitor_op()
