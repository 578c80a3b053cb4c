"""Optimizer state and configs that move between Keras and torchseq (what a ``.keras`` file holds).

A tiny model (a Conv2D, whose kernel torch stores in another layout, and a Dense,
both with a bias) is trained a few steps by each library from the same weights;
``Optimizer.keras_variables`` must equal Keras's ``optimizer.variables`` (count,
order, shapes, dtypes, values), ``load_keras_variables`` must continue either
library's training exactly, and configs must load in the other library.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
import torch

import torchseq
from tests.optimizers.harness import OptimizerCase, keras_class
from torchseq import optimizers

pytestmark = pytest.mark.filterwarnings("ignore:.*decay=...\\) is Keras 2:DeprecationWarning")

INPUT_SHAPE = (4, 5, 3)
KERAS_SHAPES = [(3, 3, 3, 2), (2,), (12, 2), (2,)]  # conv2d kernel, bias; dense kernel, bias
EXPONENTIAL = ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 2,
                                    "decay_rate": 0.5})

CASES = [
    OptimizerCase("SGD", {"learning_rate": 0.1}),
    OptimizerCase("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    OptimizerCase("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    OptimizerCase("SGD", {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    OptimizerCase("RMSprop", {"learning_rate": 0.01}),
    OptimizerCase("RMSprop", {"learning_rate": 0.01, "centered": True}),
    OptimizerCase("RMSprop", {"learning_rate": 0.01, "momentum": 0.5}),
    OptimizerCase("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    OptimizerCase("Adam", {"learning_rate": 0.01}),
    OptimizerCase("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    OptimizerCase("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}),
    OptimizerCase("AdamW", {"learning_rate": 0.01, "amsgrad": True}),
    OptimizerCase("Adamax", {"learning_rate": 0.01}),
    OptimizerCase("Nadam", {"learning_rate": 0.01}),
    OptimizerCase("Adagrad", {"learning_rate": 0.1}),
    OptimizerCase("Adadelta", {"learning_rate": 1.0}),
    OptimizerCase("Lion", {"learning_rate": 0.01, "weight_decay": 0.1}),
    OptimizerCase("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
                           "l2_regularization_strength": 0.01,
                           "l2_shrinkage_regularization_strength": 0.01, "beta": 0.1},
                   atol=1e-5),
    OptimizerCase("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9}),
    OptimizerCase("SGD", {"learning_rate": 0.1, "momentum": 0.9, "use_ema": True,
                          "ema_overwrite_frequency": 2}),
    OptimizerCase("SGD", {"learning_rate": 0.1, "momentum": 0.9,
                          "gradient_accumulation_steps": 2}),
    OptimizerCase("Nadam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    OptimizerCase("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "use_ema": True,
                              "gradient_accumulation_steps": 2}),
    OptimizerCase("Adam", {"amsgrad": True}, schedule=EXPONENTIAL),
    OptimizerCase("Nadam", {}, schedule=EXPONENTIAL),
    OptimizerCase("SGD", {"momentum": 0.9, "clipnorm": 1.0}, schedule=EXPONENTIAL),
    # Adafactor factors the conv kernel over Keras's axes; Muon takes the dense kernel only.
    OptimizerCase("Adafactor", {"learning_rate": 0.01, "weight_decay": 0.1, "use_ema": True}),
    OptimizerCase("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1}),
    OptimizerCase("Muon", {"learning_rate": 0.01, "gradient_accumulation_steps": 2},
                  schedule=EXPONENTIAL),
    OptimizerCase("ScheduleFreeAdamW", {"learning_rate": 0.01, "weight_decay": 0.1,
                                        "warmup_steps": 2}),
]


# ---------------------------------------------------------------- the two models


def initial_weights() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=shape).astype("float32") for shape in KERAS_SHAPES]


def gradients(steps: int, seed: int = 1) -> list[list[np.ndarray]]:
    """Keras-layout gradients that do not depend on the weights, the same for both libraries."""
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape).astype("float32") for shape in KERAS_SHAPES]
            for _ in range(steps)]


def layers(library: Any) -> list[Any]:
    return [
        library.Input(INPUT_SHAPE),
        library.layers.Conv2D(2, 3),
        library.layers.Flatten(),
        library.layers.Dense(2),
    ]


class KerasRun:
    """A Keras model and optimizer fed explicit gradients."""

    def __init__(self, keras: Any, case: OptimizerCase, weights: list[np.ndarray]) -> None:
        self.keras = keras
        self.model = keras.Sequential(layers(keras))
        self.model.set_weights(weights)
        self.optimizer = keras_class(keras, case.name)(
            **case.arguments(keras.optimizers.schedules)
        )
        self.optimizer.build(self.model.trainable_variables)

    def train(self, grads: list[list[np.ndarray]]) -> None:
        for step in grads:
            tensors = [self.keras.ops.convert_to_tensor(g) for g in step]
            self.optimizer.apply_gradients(zip(tensors, self.model.trainable_variables))

    def variables(self) -> list[np.ndarray]:
        return [np.asarray(self.keras.ops.convert_to_numpy(v)) for v in self.optimizer.variables]

    def load(self, arrays: list[np.ndarray]) -> None:
        self.optimizer.load_own_variables({str(i): a for i, a in enumerate(arrays)})

    def weights(self) -> list[np.ndarray]:
        return self.model.get_weights()


class TorchseqRun:
    """The same model in torchseq; gradients are set on ``.grad`` in the stored layout."""

    def __init__(self, case: OptimizerCase, weights: list[np.ndarray], build: bool = True) -> None:
        self.model = torchseq.Sequential(layers(torchseq))
        self.model.set_weights(weights)
        self.optimizer = getattr(optimizers, case.name)(**case.arguments(optimizers.schedules))
        if build:
            self.optimizer.build(self.model.trainable_weights)

    @property
    def weights_with_layouts(self) -> list[tuple[torch.Tensor, Any]]:
        layouts = {id(tensor): layout for tensor, layout in self.model._weight_entries()}
        return [(w, layouts[id(w)]) for w in self.model.trainable_weights]

    def train(self, grads: list[list[np.ndarray]]) -> None:
        for step in grads:
            for (weight, layout), grad in zip(self.weights_with_layouts, step):
                grad = torch.from_numpy(grad)
                weight.grad = grad if layout is None else grad.permute(layout)
            self.optimizer.step()

    def train_on_loss(self, steps: int) -> None:
        """Real gradients, which depend on the weights (and so on every earlier update)."""
        inputs = torch.from_numpy(np.random.default_rng(2).normal(size=(3, *INPUT_SHAPE)))
        for _ in range(steps):
            self.optimizer.zero_grad()
            self.model(inputs.float()).square().mean().backward()
            self.optimizer.step()

    def variables(self) -> list[np.ndarray]:
        return self.optimizer.keras_variables(self.weights_with_layouts)

    def load(self, arrays: list[np.ndarray]) -> None:
        self.optimizer.load_keras_variables(arrays, self.weights_with_layouts)

    def weights(self) -> list[np.ndarray]:
        return self.model.get_weights()


def assert_same_arrays(actual: list[np.ndarray], expected: list[np.ndarray], what: str,
                       atol: float = 1e-6, rtol: float = 1e-6) -> None:
    """Same count, shapes and dtypes; values within float32 rounding (or exactly, with 0, 0)."""
    assert len(actual) == len(expected), f"{what}: {len(actual)} != {len(expected)}"
    for index, (got, want) in enumerate(zip(actual, expected)):
        assert got.shape == want.shape, f"{what} {index}: shape {got.shape} != {want.shape}"
        assert got.dtype == want.dtype, f"{what} {index}: dtype {got.dtype} != {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"{what} {index}")


# ---------------------------------------------------------------- 1. the variables


@pytest.mark.parametrize("case", CASES, ids=str)
def test_variables_match_keras(keras, case):
    theirs = KerasRun(keras, case, initial_weights())
    ours = TorchseqRun(case, initial_weights())
    grads = gradients(5)
    theirs.train(grads)
    ours.train(grads)
    expected = theirs.variables()
    assert_same_arrays(ours.variables(), expected, f"{case}: variable", case.atol)
    assert expected[0].dtype == np.int32 and int(expected[0]) == 5
    live = ours.optimizer.variables  # the same list, in the stored layouts
    assert live[0].dtype == torch.int32
    assert_same_arrays([v.detach().numpy() for v in live], ours.optimizer.keras_variables(),
                       f"{case}: live variable", atol=0, rtol=0)
    assert_same_arrays(ours.weights(), theirs.weights(), f"{case}: weight", case.atol)


@pytest.mark.parametrize("case", CASES[:3] + CASES[-3:], ids=str)
def test_unbuilt_optimizer_has_the_counters_only(keras, case):
    theirs = getattr(keras.optimizers, case.name)(**case.arguments(keras.optimizers.schedules))
    ours = TorchseqRun(case, initial_weights(), build=False)
    expected = [np.asarray(keras.ops.convert_to_numpy(v)) for v in theirs.variables]
    assert_same_arrays(ours.variables(), expected, f"{case}: variable", case.atol)


def test_unbuilt_optimizer_takes_the_counters_of_an_unbuilt_one(keras):
    theirs = keras.optimizers.Adam(learning_rate=0.5)
    ours = optimizers.Adam()
    ours.load_keras_variables([np.asarray(keras.ops.convert_to_numpy(v)) for v in theirs.variables])
    assert not ours.built and ours.learning_rate == 0.5
    with pytest.raises(ValueError, match=r"expected 2 optimizer variables in Keras's order "
                       r"\(iteration, learning_rate\) \(it is not built: pass the weights\), "
                       r"received 10"):
        ours.load_keras_variables(trained("Adam")[1])


def test_permutation_and_converter_layouts():
    class Reversed:  # a WeightLayout-like converter
        def to_keras(self, stored):
            return stored.flip(0)

        def to_stored(self, keras_value):
            return keras_value.flip(0)

    kernel = torch.nn.Parameter(torch.zeros(4, 3, 2, 2))
    bias = torch.nn.Parameter(torch.zeros(3))
    optimizer = optimizers.SGD([kernel, bias], momentum=0.9)
    kernel.grad = torch.arange(48.0).reshape(4, 3, 2, 2)
    bias.grad = torch.arange(3.0)
    optimizer.step()
    weights = [(kernel, (3, 2, 0, 1)), (bias, Reversed())]
    _, _, kernel_slot, bias_slot = optimizer.keras_variables(weights)
    np.testing.assert_array_equal(kernel_slot, -0.01 * kernel.grad.permute(2, 3, 1, 0).numpy())
    np.testing.assert_array_equal(bias_slot, np.float32([-0.02, -0.01, 0.0]))
    plain = optimizer.keras_variables()
    assert plain[2].shape == (4, 3, 2, 2)
    restored = optimizers.SGD(momentum=0.9)
    restored.load_keras_variables(optimizer.keras_variables(weights), weights)
    for param in (kernel, bias):
        torch.testing.assert_close(
            restored.state[param]["momentum"], optimizer.state[param]["momentum"], rtol=0, atol=0
        )


# ---------------------------------------------------------------- 2. continuation


@pytest.mark.parametrize("case", CASES, ids=str)
def test_loaded_state_continues_training_exactly(case):
    whole = TorchseqRun(case, initial_weights())
    whole.train_on_loss(6)
    first = TorchseqRun(case, initial_weights())
    first.train_on_loss(3)
    second = TorchseqRun(case, first.weights(), build=False)  # a fresh, unbuilt optimizer
    second.load(first.variables())
    assert second.optimizer.built
    second.train_on_loss(3)
    assert_same_arrays(second.weights(), whole.weights(), f"{case}: weight", atol=0, rtol=0)
    assert_same_arrays(second.variables(), whole.variables(), f"{case}: variable", atol=0, rtol=0)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_keras_state_continues_in_torchseq(keras, case):
    grads = gradients(6)
    theirs = KerasRun(keras, case, initial_weights())
    theirs.train(grads[:3])
    ours = TorchseqRun(case, theirs.weights(), build=False)
    ours.load(theirs.variables())
    theirs.train(grads[3:])
    ours.train(grads[3:])
    assert_same_arrays(ours.weights(), theirs.weights(), f"{case}: weight", case.atol)
    assert_same_arrays(ours.variables(), theirs.variables(), f"{case}: variable", case.atol)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_torchseq_state_continues_in_keras(keras, case):
    grads = gradients(6)
    ours = TorchseqRun(case, initial_weights())
    ours.train(grads[:3])
    theirs = KerasRun(keras, case, ours.weights())
    theirs.load(ours.variables())
    ours.train(grads[3:])
    theirs.train(grads[3:])
    assert_same_arrays(theirs.weights(), ours.weights(), f"{case}: weight", case.atol)
    assert_same_arrays(theirs.variables(), ours.variables(), f"{case}: variable", case.atol)


# ---------------------------------------------------------------- 3. configs


def as_written(config: dict[str, Any]) -> dict[str, Any]:
    """Through JSON, as in a ``.keras`` file's ``config.json``."""
    return json.loads(json.dumps(config))


CONFIG_CASES = [
    *CASES,
    OptimizerCase("Adam", {"learning_rate": 0.01, "clipvalue": 0.5, "loss_scale_factor": 4.0,
                           "use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 3,
                           "gradient_accumulation_steps": 2, "weight_decay": 0.01}),
    OptimizerCase("Lion", {"global_clipnorm": 1.0},
                  schedule=("PiecewiseConstantDecay", {"boundaries": [1, 3],
                                                       "values": [0.1, 0.05, 0.01]})),
]


@pytest.mark.parametrize("case", CONFIG_CASES, ids=str)
def test_keras_config_gives_an_equivalent_optimizer(keras, case):
    source = getattr(keras.optimizers, case.name)(**case.arguments(keras.optimizers.schedules))
    written = as_written(keras.optimizers.serialize(source))
    assert written["registered_name"] in (case.name, None)
    ours = optimizers.deserialize(written)
    assert type(ours).__name__ == case.name
    assert ours.get_config() == written["config"]
    direct = getattr(optimizers, case.name).from_config(written["config"])
    assert direct.get_config() == written["config"]
    # The same trajectory as the optimizer that wrote the config.
    theirs = KerasRun(keras, case, initial_weights())
    run = TorchseqRun(case, initial_weights(), build=False)
    run.optimizer = ours
    ours.build(run.model.trainable_weights)
    grads = gradients(4)
    theirs.train(grads)
    run.train(grads)
    assert_same_arrays(run.weights(), theirs.weights(), f"{case}: weight", case.atol)


@pytest.mark.parametrize("case", CONFIG_CASES, ids=str)
def test_torchseq_config_loads_in_keras(keras, case):
    ours = getattr(optimizers, case.name)(**case.arguments(optimizers.schedules))
    config = as_written(ours.get_config())
    theirs = getattr(keras.optimizers, case.name).from_config(copy.deepcopy(config))
    expected = theirs.get_config()
    if isinstance(config["learning_rate"], float):
        assert expected["learning_rate"] == float(np.float32(config["learning_rate"]))
        expected["learning_rate"] = config["learning_rate"]
    assert expected == config
    if case.name == "Lamb":  # Keras 3.15 left Lamb out of its table: it deserializes to "Lamb"
        return
    rebuilt = keras.optimizers.deserialize(as_written(optimizers.serialize(ours)))
    assert type(rebuilt).__name__ == case.name and rebuilt.get_config() == theirs.get_config()


def test_float32_learning_rate_round_trips():
    ours = optimizers.Adam.from_config({"name": "adam", "learning_rate": 0.009999999776482582})
    assert ours.get_config()["learning_rate"] == 0.009999999776482582
    assert ours.keras_variables()[1] == np.float32(0.01)


# ---------------------------------------------------------------- 4. schedules


def test_schedule_state_needs_a_schedule(keras):
    """Keras keeps no learning-rate variable with a schedule: the counts tell them apart."""
    case = OptimizerCase("Adam", {}, schedule=EXPONENTIAL)
    theirs = KerasRun(keras, case, initial_weights())
    theirs.train(gradients(2))
    arrays = theirs.variables()
    assert len(arrays) == 2 + 2 * len(KERAS_SHAPES) - 1  # iteration, no learning_rate, slots
    numeric = TorchseqRun(OptimizerCase("Adam"), initial_weights())
    with pytest.raises(ValueError, match=r"expected 10 optimizer variables .*\(iteration, "
                       r"learning_rate, 8 slots for 4 weights\), received 9; nothing was loaded"):
        numeric.load(arrays)
    scheduled = TorchseqRun(case, initial_weights(), build=False)
    scheduled.load(arrays)
    assert int(scheduled.optimizer.iterations) == 2
    assert scheduled.optimizer.learning_rate == pytest.approx(0.1 * 0.5)


# ---------------------------------------------------------------- errors


def snapshot(optimizer: optimizers.Optimizer) -> dict[str, Any]:
    return copy.deepcopy({"state": optimizer.state_dict(), "lr": optimizer.learning_rate,
                          "built": optimizer.built})


def assert_unchanged(optimizer: optimizers.Optimizer, before: dict[str, Any]) -> None:
    after = snapshot(optimizer)
    assert after["built"] == before["built"] and after["lr"] == before["lr"]
    assert after["state"]["iterations"] == before["state"]["iterations"]
    assert after["state"]["extra_state"] == before["state"]["extra_state"]
    assert after["state"]["state"].keys() == before["state"]["state"].keys()
    for key, slots in before["state"]["state"].items():
        for name, value in slots.items():
            torch.testing.assert_close(after["state"]["state"][key][name], value, rtol=0, atol=0)


def trained(name: str = "Nadam", build: bool = True) -> tuple[TorchseqRun, list[np.ndarray]]:
    source = TorchseqRun(OptimizerCase(name, {"learning_rate": 0.01}), initial_weights())
    source.train(gradients(2))
    target = TorchseqRun(OptimizerCase(name, {"learning_rate": 0.5}), initial_weights(), build)
    target.train(gradients(1, seed=3) if build else [])
    return target, source.variables()


@pytest.mark.parametrize("build", [True, False], ids=["built", "unbuilt"])
def test_wrong_count_changes_nothing(build):
    target, arrays = trained(build=build)
    before = snapshot(target.optimizer)
    with pytest.raises(ValueError, match=r"Nadam 'nadam_1': expected 11 optimizer variables in "
                       r"Keras's order \(iteration, learning_rate, 8 slots for 4 weights, "
                       r"u_product\), received 10; nothing was loaded"):
        target.load(arrays[:-1])
    assert_unchanged(target.optimizer, before)


@pytest.mark.parametrize("build", [True, False], ids=["built", "unbuilt"])
def test_wrong_shape_changes_nothing(build):
    target, arrays = trained(build=build)
    before = snapshot(target.optimizer)
    arrays[3] = arrays[3].transpose(3, 2, 0, 1)  # the conv kernel's velocity in torch's layout
    with pytest.raises(ValueError, match=r"optimizer variable 3 \(velocity of weight 0 "
                       r"'conv2d_1/kernel'\) expected shape \(3, 3, 3, 2\), received shape "
                       r"\(2, 3, 3, 3\); nothing was loaded"):
        target.load(arrays)
    assert_unchanged(target.optimizer, before)


def test_weights_must_cover_the_optimizer():
    target, arrays = trained()
    with pytest.raises(ValueError, match=r"must include every parameter the optimizer updates, "
                       r"but its parameter 2 \(weight 2 'dense_1/kernel', shape \(12, 2\)\)"):
        target.optimizer.load_keras_variables(arrays, target.weights_with_layouts[:2])


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (["kernel"], TypeError, (r"weights must be tensors or \(tensor, layout\) pairs, "
                                 r"received at index 0: 'kernel' of type str")),
        ([("KERNEL", (0, 1), None)], TypeError, r"weights must be tensors or \(tensor, layout\)"),
        ([("KERNEL", "nchw")], TypeError, (r"the layout of weight 0 must be None, a permutation "
                                           r"of its 2 axes or a WeightLayout, received: 'nchw'")),
        ([("KERNEL", (0, 2))], ValueError, (r"the layout of weight 0 must be None, a "
                                            r"permutation of its 2 axes")),
    ],
)
def test_bad_weights_are_refused(weights, error, match):
    kernel = torch.nn.Parameter(torch.ones(2, 3))
    optimizer = optimizers.Adam([kernel])
    weights = [tuple(kernel if item == "KERNEL" else item for item in entry)
               if isinstance(entry, tuple) else entry for entry in weights]
    with pytest.raises(error, match=match):
        optimizer.keras_variables(weights)
