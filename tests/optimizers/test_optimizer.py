"""Tests for torchseq.optimizers.optimizer: the options every optimizer shares.

Clipping, weight decay, moving averages, accumulation and schedules are checked
against Keras; construction, the learning-rate property, state and torch
interoperability against their documented behaviour.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from tests.optimizers.harness import OptimizerCase, check_parity
from torchseq.optimizers import SGD, Adam, Nadam, RMSprop, schedules

pytestmark = pytest.mark.filterwarnings("ignore:.*decay=...\\) is Keras 2:DeprecationWarning")

PARITY_CASES = [
    OptimizerCase("SGD", {"clipnorm": 1.0}),
    OptimizerCase("Adam", {"clipnorm": 0.5}),
    OptimizerCase("SGD", {"global_clipnorm": 1.0}),
    OptimizerCase("RMSprop", {"global_clipnorm": 2.0}),
    OptimizerCase("SGD", {"clipvalue": 0.5}),
    OptimizerCase("Adam", {"clipvalue": 0.1}),
    OptimizerCase("SGD", {"learning_rate": 0.1, "weight_decay": 0.2}),
    OptimizerCase("Adam", {"learning_rate": 0.1, "weight_decay": 0.1}),
    OptimizerCase("RMSprop", {"weight_decay": 0.5, "clipnorm": 1.0}),
    OptimizerCase("SGD", {"use_ema": True, "ema_momentum": 0.9}),
    OptimizerCase("Adam", {"use_ema": True, "ema_overwrite_frequency": 2}),
    OptimizerCase("Adam", {"gradient_accumulation_steps": 2}),
    OptimizerCase("SGD", {"momentum": 0.9, "gradient_accumulation_steps": 3}, steps=6),
    OptimizerCase("Adam", {"loss_scale_factor": 4.0}),
    OptimizerCase(
        "Adam", {"weight_decay": 0.1},
        schedule=("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 2,
                                       "decay_rate": 0.5}),
    ),
    OptimizerCase(
        "SGD", {"momentum": 0.9},
        schedule=("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 3,
                                  "warmup_target": 0.1, "warmup_steps": 2}),
    ),
    OptimizerCase(
        "RMSprop", {},
        schedule=("PiecewiseConstantDecay", {"boundaries": [1, 3], "values": [0.1, 0.05, 0.01]}),
    ),
]


@pytest.mark.parametrize("case", PARITY_CASES, ids=str)
def test_matches_keras(keras, case):
    check_parity(keras, case)


def make_params(*shapes):
    return [torch.nn.Parameter(torch.ones(shape)) for shape in shapes]


def feed(params, value=1.0):
    for param in params:
        param.grad = torch.full_like(param, value)


# ---------------------------------------------------------------- construction


def test_keras_style_is_built_later():
    optimizer = Adam(learning_rate=0.01)
    assert not optimizer.built and optimizer.param_groups == []
    with pytest.raises(RuntimeError, match="Adam has no parameters yet, so it cannot step"):
        optimizer.step()
    params = make_params(3)
    optimizer.build(params)
    feed(params)
    optimizer.step()
    assert optimizer.built and int(optimizer.iterations) == 1


def test_build_again_keeps_slots_of_remaining_parameters():
    first, second = make_params(2, 3)
    optimizer = Adam([first])
    feed([first])
    optimizer.step()
    momentum = optimizer.state[first]["momentum"].clone()
    optimizer.build([first])  # same parameters: nothing changes
    assert optimizer.param_groups[0]["params"] == [first]
    optimizer.build([first, second])
    torch.testing.assert_close(optimizer.state[first]["momentum"], momentum)
    optimizer.build([second])
    assert first not in optimizer.state


def test_module_instead_of_parameters_is_refused():
    with pytest.raises(TypeError, match=r"received a module \(Linear\); pass module.parameters"):
        SGD(torch.nn.Linear(2, 2))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"clipnorm": 1.0, "clipvalue": 1.0}, ValueError,
         "only one of clipnorm, clipvalue and global_clipnorm can be set"),
        ({"learning_rate": -0.1}, ValueError, "learning_rate must be a finite number >= 0"),
        ({"learning_rate": "fast"}, TypeError, "learning_rate must be a number, a Learning"),
        ({"clipnorm": -1.0}, ValueError, "clipnorm=-1.0"),
        ({"ema_momentum": 1.5}, ValueError, r"ema_momentum must be in \[0, 1\]"),
        ({"ema_overwrite_frequency": 0}, ValueError, "ema_overwrite_frequency must be >= 1"),
        ({"gradient_accumulation_steps": 1}, ValueError, "gradient_accumulation_steps must be >= 2"),
        ({"gradient_accumulation_steps": 2.0}, TypeError, "must be an int or None"),
        ({"loss_scale_factor": 0.0}, ValueError, "loss_scale_factor must be a finite number > 0"),
        ({"decay": -1e-6}, ValueError, "decay=-1e-06"),
        ({"weight_decay": "0.1"}, TypeError, "weight_decay must be a number or None"),
        ({"learning_rate": schedules.ExponentialDecay(0.1, 10, 0.9), "decay": 1e-6}, ValueError,
         "decay .* applies to a numeric learning_rate only"),
    ],
)
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        SGD(**kwargs)


def test_unknown_parameter_group_option_lists_valid_ones():
    with pytest.raises(ValueError, match=r"unknown parameter-group option\(s\) \['momentum'\]"):
        SGD([{"params": make_params(2), "momentum": 0.9}])


# ---------------------------------------------------------------- learning rate


def test_learning_rate_setter_changes_the_next_update():
    params = make_params(2)
    optimizer = SGD(params, learning_rate=0.1)
    optimizer.learning_rate = 0.5  # what ReduceLROnPlateau and LearningRateScheduler do
    assert float(np.array(optimizer.learning_rate)) == 0.5 and optimizer.lr == 0.5
    feed(params)
    optimizer.step()
    torch.testing.assert_close(params[0].detach(), torch.full((2,), 0.5))
    optimizer.lr = 0.25  # Keras 2's name
    assert optimizer.param_groups[0]["lr"] == 0.25


def test_schedule_is_read_at_the_iteration_count():
    schedule = schedules.PiecewiseConstantDecay([1], [0.1, 0.01])
    params = make_params(2)
    optimizer = SGD(params, learning_rate=schedule)
    rates = []
    for _ in range(3):
        rates.append(optimizer.learning_rate)
        feed(params)
        optimizer.step()
    assert rates == [0.1, 0.1, 0.01]
    with pytest.raises(TypeError, match="created with a learning-rate schedule"):
        optimizer.learning_rate = 0.5
    optimizer.learning_rate = schedules.ExponentialDecay(1.0, 1, 0.5)  # a schedule may replace one
    assert optimizer.learning_rate == 0.125


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (lambda step: 0.1 * (step + 1), [0.1, 0.2, 0.3]),  # a callable of the step
        (lambda: 0.3, [0.3, 0.3, 0.3]),  # Keras 3's callable without arguments
        (lambda step: torch.tensor(0.1) * 2, [0.2, 0.2, 0.2]),  # a tensor is read as a float
    ],
)
def test_callable_learning_rates(rate, expected):
    params = make_params(1)
    optimizer = SGD(params, learning_rate=rate)
    values = []
    for _ in range(3):
        before = params[0].detach().clone()
        feed(params)
        optimizer.step()
        values.append(float(before - params[0].detach()))
    assert values == pytest.approx(expected)


def test_parameter_groups_with_their_own_rate_and_decay():
    fast, slow = make_params(2, 2)
    optimizer = SGD(
        [{"params": [fast], "learning_rate": 1.0}, {"params": [slow], "weight_decay": 0.5}],
        learning_rate=0.1,
    )
    feed([fast, slow])
    optimizer.step()
    torch.testing.assert_close(fast.detach(), torch.zeros(2))
    torch.testing.assert_close(slow.detach(), torch.full((2,), 0.85))  # 1 * (1 - 0.05) - 0.1


def test_torch_lr_scheduler_drives_a_numeric_rate():
    params = make_params(2)
    optimizer = Adam(params, learning_rate=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(2):
        feed(params)
        optimizer.step()
        scheduler.step()
    assert optimizer.learning_rate == pytest.approx(0.025)


# ---------------------------------------------------------------- the step


def test_parameters_without_gradient_are_left_alone():
    used, unused = make_params(2, 2)
    optimizer = Adam([used, unused])
    feed([used])
    optimizer.step()
    assert unused.grad is None and unused not in optimizer.state
    torch.testing.assert_close(unused.detach(), torch.ones(2))


def test_no_gradients_at_all_is_a_no_op():
    optimizer = SGD(make_params(2))
    optimizer.step()
    assert int(optimizer.iterations) == 0


def test_gradients_are_not_modified_by_clipping():
    params = make_params(4)
    optimizer = SGD(params, clipnorm=0.1, weight_decay=0.1)
    feed(params, 3.0)
    optimizer.step()
    torch.testing.assert_close(params[0].grad, torch.full((4,), 3.0))


def test_closure_result_is_returned():
    params = make_params(2)
    optimizer = SGD(params)

    def closure():
        optimizer.zero_grad()
        loss = (params[0] ** 2).sum()
        loss.backward()
        return loss

    assert float(optimizer.step(closure).detach()) == 2.0


def test_apply_gradients_builds_and_updates():
    params = make_params(2, 3)
    optimizer = SGD(learning_rate=0.5)
    optimizer.apply_gradients(zip([torch.ones(2), torch.ones(3)], params))
    assert optimizer.built
    torch.testing.assert_close(params[1].detach(), torch.full((3,), 0.5))
    optimizer.apply([torch.ones(2), None])
    torch.testing.assert_close(params[0].detach(), torch.zeros(2))
    torch.testing.assert_close(params[1].detach(), torch.full((3,), 0.5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"momentum": 0.9, "nesterov": True, "clipnorm": 1.0, "weight_decay": 0.1},
        {"global_clipnorm": 1.0, "use_ema": True, "ema_overwrite_frequency": 2},
        {"learning_rate": schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=2),
         "gradient_accumulation_steps": 2, "clipvalue": 0.5},
        {"lr": 0.01, "decay": 1e-6, "loss_scale_factor": 2.0},
    ],
)
@pytest.mark.parametrize("cls", [SGD, Adam, Nadam])
def test_step_reads_nothing_back_from_the_device(monkeypatch, cls, kwargs):
    kwargs = {k: v for k, v in kwargs.items() if cls is SGD or k not in ("momentum", "nesterov")}
    params = make_params(3, (2, 2))
    optimizer = cls(params, **kwargs)

    def host_read(*args, **kw):
        raise AssertionError("the optimizer step read a tensor back to the host")

    for name in ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__"):
        monkeypatch.setattr(torch.Tensor, name, host_read)
    for _ in range(4):
        feed(params, 0.5)
        optimizer.step()


def test_exclude_from_weight_decay_by_parameter_and_by_path():
    kernel, bias, other = make_params(2, 2, 2)
    bias.path = "dense/bias"
    optimizer = SGD([kernel, bias, other], learning_rate=0.0 + 0.1, weight_decay=1.0)
    optimizer.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    feed([kernel, bias, other], 0.0)
    optimizer.step()
    torch.testing.assert_close(kernel.detach(), torch.full((2,), 0.9))
    torch.testing.assert_close(bias.detach(), torch.ones(2))
    torch.testing.assert_close(other.detach(), torch.ones(2))


def test_finalize_variable_values_copies_the_moving_average():
    params = make_params(2)
    optimizer = SGD(params, learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(2):
        feed(params)
        optimizer.step()
    # weights 0, then -1; averages 0, then 0.5 * 0 + 0.5 * -1
    optimizer.finalize_variable_values()
    torch.testing.assert_close(params[0].detach(), torch.full((2,), -0.5))


def test_scale_loss():
    assert float(SGD(loss_scale_factor=8.0).scale_loss(torch.tensor(2.0))) == 16.0
    assert float(SGD().scale_loss(torch.tensor(2.0))) == 2.0


# ---------------------------------------------------------------- state and config


@pytest.mark.parametrize("cls", [SGD, Adam, RMSprop, Nadam])
def test_state_dict_round_trip_resumes_the_same_trajectory(cls):
    def run(optimizer, params, steps, start=0):
        for step in range(start, start + steps):
            feed(params, 0.1 * (step + 1))
            optimizer.step()

    kwargs = {"learning_rate": schedules.InverseTimeDecay(0.1, 1, 0.5)}
    whole_params = make_params(3)
    run(cls(whole_params, **kwargs), whole_params, 4)
    params = make_params(3)
    first = cls(params, **kwargs)
    run(first, params, 2)
    second = cls(params, **kwargs)
    second.load_state_dict(first.state_dict())
    assert int(second.iterations) == 2
    run(second, params, 2, start=2)
    torch.testing.assert_close(params[0], whole_params[0])


def test_deepcopy_keeps_settings_and_state():
    params = make_params(2)
    optimizer = Adam(params, learning_rate=0.01, clipnorm=1.0)
    feed(params)
    optimizer.step()
    clone = copy.deepcopy(optimizer)
    assert clone.get_config() == optimizer.get_config()
    assert int(clone.iterations) == 1


def test_variables_list_keras_order():
    params = make_params(2, 3)
    optimizer = SGD(params, momentum=0.9, use_ema=True)
    shapes = [tuple(v.shape) for v in optimizer.variables]
    # iterations, learning rate, averages (one per parameter), then momentums
    assert shapes == [(), (), (2,), (3,), (2,), (3,)]
    assert optimizer.variables[0].dtype == torch.int32  # Keras's on torch


def test_iterations_counts_updates_with_accumulation():
    params = make_params(2)
    optimizer = SGD(params, gradient_accumulation_steps=2)
    for _ in range(5):
        feed(params)
        optimizer.step()
    assert int(optimizer.iterations) == 2


def test_get_config_round_trip_with_schedule():
    optimizer = Adam(
        learning_rate=schedules.CosineDecayRestarts(0.1, 5), clipvalue=0.5, name="opt"
    )
    config = optimizer.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecayRestarts"
    rebuilt = Adam.from_config(config)
    assert rebuilt.get_config() == config
    assert rebuilt.learning_rate == schedules.CosineDecayRestarts(0.1, 5)(0)


def test_slots_follow_the_parameters_to_another_device():
    meta = torch.device("meta")
    params = make_params(2)
    optimizer = Adam(params)
    feed(params)
    optimizer.step()
    moved = [torch.nn.Parameter(torch.ones(2, device=meta))]
    optimizer.state[moved[0]] = optimizer.state.pop(params[0])
    optimizer.param_groups[0]["params"] = moved
    moved[0].grad = torch.ones(2, device=meta)
    optimizer.step()
    assert optimizer.state[moved[0]]["momentum"].device == meta
    assert optimizer.iterations.device == meta
