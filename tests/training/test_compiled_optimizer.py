"""compile(jit_compile=True) with the optimizer's update inside the compiled step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch._dynamo

import torchseq as ts
from tests.training.test_jit_compile import data
from torchseq import layers, optimizers
from torchseq.training.step import CompiledStepRunner

pytestmark = pytest.mark.filterwarnings(
    "ignore:The .grad attribute of a Tensor that is not a leaf Tensor:UserWarning"
)


def mlp() -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((20,)),
            layers.Dense(16, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def convnet() -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((5, 4)),
            layers.Conv1D(3, 2),  # its kernel is stored (out, in, width), not as Keras's
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def twins(make_optimizer, make_model=mlp) -> tuple[ts.Sequential, ts.Sequential]:
    """An eager and a compiled model with the same weights, each with its own optimizer."""
    ts.utils.set_random_seed(0)  # the same weights every run: compiled kernels round
    eager, compiled = make_model(), make_model()  # differently, by amounts that vary with them
    compiled.set_weights(eager.get_weights())
    for model, jit in ((eager, False), (compiled, True)):
        model.compile(make_optimizer(), "categorical_crossentropy", jit_compile=jit)
    return eager, compiled


def fit_both(eager, compiled, epochs: int, shape: tuple = (20,)) -> None:
    x, y = data(shape, samples=48)  # three batches of 16: one batch shape
    for model in (eager, compiled):
        model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0)


def assert_same_weights(compiled, eager) -> None:
    for ours, theirs in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


IN_GRAPH = {
    "sgd_momentum": lambda: optimizers.SGD(0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "adam": lambda: optimizers.Adam(0.01),
    "adamw_clipnorm": lambda: optimizers.AdamW(0.01, weight_decay=0.1, clipnorm=0.5),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "nadam": lambda: optimizers.Nadam(0.01),
    # decay_steps=1: a new rate at every step
    "adam_schedule": lambda: optimizers.Adam(
        optimizers.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.8)
    ),
    "adagrad": lambda: optimizers.Adagrad(0.1),
    "adadelta": lambda: optimizers.Adadelta(1.0, weight_decay=0.1),
    "lion": lambda: optimizers.Lion(0.001, weight_decay=0.1),
    # The rate enters the divisor's offset through beta: a new offset at every step.
    "ftrl_schedule": lambda: optimizers.Ftrl(
        optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.8),
        l1_regularization_strength=0.001,
        l2_regularization_strength=0.01,
        l2_shrinkage_regularization_strength=0.01,
        beta=0.5,
    ),
    "lamb_schedule": lambda: optimizers.Lamb(
        optimizers.schedules.ExponentialDecay(0.01, decay_steps=1, decay_rate=0.8),
        weight_decay=0.01,
    ),
    "adafactor": lambda: optimizers.Adafactor(0.01, clip_threshold=0.5),
    "schedule_free_adamw_warmup": lambda: optimizers.ScheduleFreeAdamW(0.01, warmup_steps=4),
}


@pytest.mark.parametrize("make_optimizer", list(IN_GRAPH.values()), ids=list(IN_GRAPH))
def test_update_in_the_graph_gives_eager_weights_and_compiles_once(make_optimizer):
    eager, compiled = twins(make_optimizer)
    fit_both(eager, compiled, epochs=1)
    assert compiled._compile_state.runner.updates_in_graph
    torch._dynamo.utils.counters.clear()
    fit_both(eager, compiled, epochs=2)
    # New per-step numbers (rates, bias corrections) are graph inputs, not constants.
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 0
    assert not torch._dynamo.utils.counters["graph_break"]
    assert_same_weights(compiled, eager)


def test_optimizer_state_after_compiled_steps_is_the_eager_state():
    eager, compiled = twins(lambda: optimizers.Nadam(0.01, weight_decay=0.05))
    fit_both(eager, compiled, epochs=2)
    assert int(compiled.optimizer.iterations) == int(eager.optimizer.iterations) == 6
    assert compiled.optimizer.iterations.dtype == torch.int32
    assert compiled.optimizer.state_dict()["extra_state"] == pytest.approx(
        eager.optimizer.state_dict()["extra_state"], rel=1e-6
    )
    ours, theirs = compiled.optimizer.keras_variables(), eager.optimizer.keras_variables()
    assert [a.shape for a in ours] == [b.shape for b in theirs]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_new_learning_rate_between_fits_applies_without_compiling_again():
    eager, compiled = twins(lambda: optimizers.SGD(0.1, momentum=0.9))
    fit_both(eager, compiled, epochs=1)
    for model in (eager, compiled):
        model.optimizer.learning_rate = 0.02
    torch._dynamo.utils.counters.clear()
    fit_both(eager, compiled, epochs=1)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 0
    assert_same_weights(compiled, eager)


def test_weights_excluded_from_decay_between_fits_are_excluded():
    eager, compiled = twins(lambda: optimizers.AdamW(0.01, weight_decay=0.5))
    fit_both(eager, compiled, epochs=1)
    for model in (eager, compiled):
        model.optimizer.exclude_from_weight_decay(var_names=["bias"])
    fit_both(eager, compiled, epochs=1)
    assert_same_weights(compiled, eager)


EAGER_UPDATE = {
    "gradient_accumulation": lambda: optimizers.SGD(0.1, gradient_accumulation_steps=2),
    "ema": lambda: optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=2),
    "muon": lambda: optimizers.Muon(0.01),
    "torch_optim": lambda: torch.optim.Adam,
}


@pytest.mark.parametrize("make_optimizer", list(EAGER_UPDATE.values()), ids=list(EAGER_UPDATE))
def test_optimizers_that_update_eagerly_still_train_as_eager(make_optimizer):
    eager, compiled = twins(make_optimizer)
    fit_both(eager, compiled, epochs=1)
    assert isinstance(compiled._compile_state.runner, CompiledStepRunner)
    assert not compiled._compile_state.runner.updates_in_graph
    assert_same_weights(compiled, eager)



def test_adafactor_updates_eagerly_when_a_weight_is_stored_in_another_layout():
    # Its factored moments follow Keras's axes, which the compiled step's weights lack.
    eager, compiled = twins(lambda: optimizers.Adafactor(0.01), convnet)
    fit_both(eager, compiled, epochs=1, shape=(5, 4))
    assert not compiled._compile_state.runner.updates_in_graph
    assert_same_weights(compiled, eager)
