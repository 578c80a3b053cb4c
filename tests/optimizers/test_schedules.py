"""Tests for torchseq.optimizers.schedules: values against Keras, configs, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq.optimizers import schedules

# (class name, constructor arguments)
CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    ("ExponentialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    ("InverseTimeDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 2.0, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 15], "values": [1.0, 0.5, 0.1]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 20}),
    ("PolynomialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 20, "end_learning_rate": 0.01, "power": 2.0,
      "cycle": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 20}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 20, "alpha": 0.1}),
    ("CosineDecay",
     {"initial_learning_rate": 0.0, "decay_steps": 20, "warmup_target": 0.1, "warmup_steps": 5}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 5}),
    ("CosineDecayRestarts",
     {"initial_learning_rate": 0.1, "first_decay_steps": 4, "t_mul": 1.0, "m_mul": 0.5,
      "alpha": 0.1}),
]
STEPS = [0, 1, 4, 5, 6, 10, 14, 15, 16, 20, 24, 25, 26, 40, 100]


def case_id(case):
    name, kwargs = case
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items())


def keras_values(keras, case):
    name, kwargs = case
    schedule = getattr(keras.optimizers.schedules, name)(**kwargs)
    return np.array([float(keras.ops.convert_to_numpy(schedule(step))) for step in STEPS])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_python_steps_match_keras(keras, case):
    name, kwargs = case
    schedule = getattr(schedules, name)(**kwargs)
    values = [schedule(step) for step in STEPS]
    assert all(isinstance(value, float) for value in values)  # no tensor work on the host path
    np.testing.assert_allclose(values, keras_values(keras, case), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_tensor_steps_match_keras(keras, case):
    name, kwargs = case
    schedule = getattr(schedules, name)(**kwargs)
    values = [schedule(torch.tensor(step)) for step in STEPS]
    assert all(v.dtype == torch.float32 and v.shape == () for v in values)
    np.testing.assert_allclose(
        [float(v) for v in values], keras_values(keras, case), rtol=1e-6, atol=1e-9
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_config_and_serialization_match_keras(keras, case):
    name, kwargs = case
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    serialized = schedules.serialize(ours)
    assert serialized == keras.optimizers.schedules.serialize(theirs)
    rebuilt = schedules.deserialize(serialized)
    assert type(rebuilt) is type(ours) and rebuilt.get_config() == ours.get_config()


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), ValueError,
         "decay_steps must be > 0, received: decay_steps=0"),
        (lambda: schedules.PolynomialDecay(0.1, -5), ValueError, "decay_steps=-5"),
        (lambda: schedules.CosineDecayRestarts(0.1, 0), ValueError, "first_decay_steps must be > 0"),
        (lambda: schedules.InverseTimeDecay("0.1", 10, 0.5), TypeError,
         "initial_learning_rate must be a number"),
        (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.01]), ValueError,
         r"one more value than boundaries.*length 2.*length 2"),
        (lambda: schedules.PiecewiseConstantDecay([2, 1], [0.1, 0.05, 0.01]), ValueError,
         "strictly increasing boundaries"),
        (lambda: schedules.deserialize({"class_name": "StepDecay", "config": {}}), ValueError,
         r"Unknown learning rate schedule: expected one of \[.*'CosineDecay'.*received: 'StepDecay'"),
    ],
)
def test_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_base_class_requires_call_and_config():
    schedule = schedules.LearningRateSchedule()
    with pytest.raises(NotImplementedError, match=r"must implement __call__\(self, step\)"):
        schedule(0)
    with pytest.raises(NotImplementedError, match="must implement get_config"):
        schedule.get_config()


def test_custom_schedule_round_trips_with_custom_objects():
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, step):
            return self.rate / (step + 1)

        def get_config(self):
            return {"rate": self.rate}

    serialized = schedules.serialize(Halving(1.0))
    assert serialized["registered_name"] == "Halving"
    rebuilt = schedules.deserialize(serialized, custom_objects={"Halving": Halving})
    assert rebuilt(1) == 0.5
