"""utils.logs: sorted, flattened logs, and values read as Python floats only on request."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq.utils.logs import flatten_logs, pythonify_logs, pythonify_value, pythonify_values

# (value, expected after pythonify); arrays are compared with np.testing.
SCALARS = [
    (torch.tensor(0.25), 0.25),
    (torch.tensor(0.1, dtype=torch.float32), float(np.float32(0.1))),
    (torch.tensor(0.1, dtype=torch.float64), 0.1),
    (torch.tensor(0.5, dtype=torch.bfloat16), 0.5),
    (torch.tensor(3), 3.0),
    (torch.tensor(True), 1.0),
    (torch.tensor([2.5]), 2.5),
    (torch.tensor(1.5, requires_grad=True) * 1, 1.5),
    (np.float32(0.5), 0.5),
    (np.array(0.75), 0.75),
    (np.array([0.75]), 0.75),
    (7, 7.0),
    (0.5, 0.5),
    ("text", "text"),
    (None, None),
]


@pytest.mark.parametrize(("value", "expected"), SCALARS, ids=repr)
def test_pythonify_value(value, expected):
    result = pythonify_value(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "value", [torch.tensor([1.0, 2.0]), np.array([1.0, 2.0])], ids=["tensor", "array"]
)
def test_several_elements_become_a_numpy_array(value):
    result = pythonify_value(value)
    assert isinstance(result, np.ndarray)
    np.testing.assert_array_equal(result, [1.0, 2.0])


def test_values_of_mixed_dtypes_keep_their_positions():
    values = [torch.tensor(1.0), torch.tensor(2), 3, torch.tensor(4.0, dtype=torch.float64)]
    assert pythonify_values(values) == [1.0, 2.0, 3.0, 4.0]


def test_flatten_sorts_keys_merges_nested_dicts_and_reads_nothing():
    loss = torch.tensor(0.5)
    flat = flatten_logs({"val_loss": 1, "loss": loss, "out": {"b_acc": 2, "a_acc": 3}})
    # As Keras: a nested dict's (sorted) entries take the place of its own key.
    assert list(flat) == ["loss", "a_acc", "b_acc", "val_loss"]
    assert flat["loss"] is loss


@pytest.mark.parametrize("logs", [None, {}], ids=repr)
def test_empty_logs(logs):
    assert flatten_logs(logs) == {}
    assert pythonify_logs(logs) == {}


def test_pythonify_logs():
    logs = {"loss": torch.tensor(0.5), "accuracy": np.float64(0.25), "name": "x"}
    assert pythonify_logs(logs) == {"accuracy": 0.25, "loss": 0.5, "name": "x"}
