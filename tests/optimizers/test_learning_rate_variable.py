"""``optimizer.learning_rate`` is a number that answers Keras's variable calls."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest
import torch

from torchseq import backend as K
from torchseq.optimizers import SGD, Adam, schedules


def _sgd_step(optimizer_type, rate_change) -> np.ndarray:
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = optimizer_type([weight], learning_rate=0.1)
    rate_change(optimizer)
    weight.grad = torch.tensor([1.0, 2.0, 3.0])
    optimizer.step()
    return weight.detach().numpy()


@pytest.mark.parametrize(
    "rate_change",
    [
        lambda optimizer: optimizer.learning_rate.assign(0.5),
        lambda optimizer: optimizer.lr.assign(np.float32(0.5)),
        lambda optimizer: optimizer.learning_rate.assign_add(0.4),
        lambda optimizer: K.set_value(optimizer.lr, 0.5),
    ],
    ids=["assign", "lr.assign", "assign_add", "K.set_value"],
)
def test_assign_changes_the_rate_of_the_next_step(rate_change):
    np.testing.assert_allclose(_sgd_step(SGD, rate_change), [0.5, 0.0, -0.5], rtol=1e-6)


def test_rate_reads_as_a_float_and_as_a_variable():
    optimizer = Adam(learning_rate=0.001)
    rate = optimizer.learning_rate
    assert isinstance(rate, float) and rate == 0.001 and float(rate) == 0.001
    assert (rate.name, rate.path, rate.shape, rate.trainable) == (
        "learning_rate",
        f"{optimizer.name}/learning_rate",
        (),
        False,
    )
    assert rate.dtype == "float32"
    array = rate.numpy()
    assert array.shape == () and array.dtype == np.float32
    assert K.get_value(optimizer.lr).dtype == np.float32
    assert rate.value.dtype == torch.float32
    returned = rate.assign(0.01)
    assert returned == 0.01 and optimizer.learning_rate == 0.01
    assert rate.numpy() == np.float32(0.01)  # numpy() reads the optimizer now
    assert all(group["lr"] == 0.01 for group in optimizer.param_groups)


def test_copies_and_logs_are_plain_numbers():
    rate = SGD(learning_rate=0.2).learning_rate
    assert type(copy.deepcopy(rate)) is float and type(pickle.loads(pickle.dumps(rate))) is float
    assert json.dumps({"learning_rate": rate}) == '{"learning_rate": 0.2}'


def test_a_schedule_stays_a_schedule_and_refuses_assign():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    optimizer = SGD(learning_rate=schedule)
    assert optimizer.learning_rate == pytest.approx(0.1)
    with pytest.raises(TypeError, match=r"learning-rate schedule, ExponentialDecay\(.*received: "):
        optimizer.learning_rate.assign(0.3)
    with pytest.raises(TypeError, match="ExponentialDecay"):
        K.set_value(optimizer.lr, 0.3)
    assert optimizer._rate.schedule is schedule


def test_keras_variables_export_the_assigned_rate():
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = Adam([weight], learning_rate=0.001)
    optimizer.learning_rate.assign(0.25)
    exported = optimizer.keras_variables()
    assert exported[1].dtype == np.float32 and exported[1] == np.float32(0.25)


def test_assign_then_step_matches_keras(keras):
    initial = np.array([1.0, -2.0, 3.0], "float32")
    gradient = np.array([0.5, 0.25, -1.0], "float32")
    reference_weight = keras.Variable(initial)
    reference = keras.optimizers.Adam(learning_rate=0.001)
    reference.build([reference_weight])
    reference.learning_rate.assign(0.05)
    weight = torch.nn.Parameter(torch.tensor(initial))
    optimizer = Adam([weight], learning_rate=0.001)
    optimizer.learning_rate.assign(0.05)
    for _ in range(2):
        reference.apply_gradients([(keras.ops.convert_to_tensor(gradient), reference_weight)])
        weight.grad = torch.tensor(gradient)
        optimizer.step()
    np.testing.assert_allclose(weight.detach().numpy(), reference_weight.numpy(), rtol=1e-6)
    assert optimizer.learning_rate.numpy() == reference.learning_rate.numpy()
