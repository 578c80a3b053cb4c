"""compile(jit_compile=True): the seed models train through torch.compile on the CPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch._dynamo

import torchseq as ts
from torchseq import layers

# torch.compile looks at `.grad` of the tensors a graph break hands back and hides the
# warning that causes itself; the suite's "warnings are errors" would turn it into a failure.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The .grad attribute of a Tensor that is not a leaf Tensor:UserWarning"
)


def seed_mlp(dropout: float = 0.5) -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((20,)),
            layers.Dense(16, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(16, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(10, activation="softmax"),
        ]
    )


def seed_convnet() -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((12, 12, 3)),
            layers.Conv2D(8, (3, 3), activation="relu"),
            layers.Conv2D(8, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def seed_stacked_lstm() -> ts.Sequential:
    return ts.Sequential(
        [
            ts.Input((3, 4)),  # each timestep unrolls into the compiled graph
            layers.LSTM(8, return_sequences=True),
            layers.Bidirectional(layers.GRU(4, return_sequences=True)),
            layers.LSTM(8),
            layers.Dense(10, activation="softmax"),
        ]
    )


def data(shape: tuple, samples: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((samples, *shape)).astype("float32")
    return x, ts.utils.to_categorical(rng.integers(10, size=samples), 10)


def twins(build) -> tuple[ts.Sequential, ts.Sequential]:
    """An eager and a compiled model with the same initial weights."""
    eager, compiled = build(), build()
    compiled.set_weights(eager.get_weights())
    for model, jit in ((eager, False), (compiled, True)):
        model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    return eager, compiled


@pytest.mark.parametrize(
    ("build", "shape"),
    [(seed_mlp, (20,)), (seed_convnet, (12, 12, 3)), (seed_stacked_lstm, (3, 4))],
    ids=["mlp", "convnet", "stacked_lstm"],
)
def test_seed_models_train_compiled(build, shape):
    x, y = data(shape)  # 40 samples, batch 16: a last batch of 8 recompiles for its shape
    eager, compiled = twins(build)
    before = compiled.get_weights()
    torch._dynamo.utils.counters.clear()
    history = compiled.fit(x, y, batch_size=16, epochs=2, validation_split=0.2, verbose=0)
    assert compiled._compile_state.runner.updates_in_graph
    # forward, loss, backward and the optimizer's update: one graph, no break (the RNNs'
    # short sequences unroll their cell loops into it)
    assert not torch._dynamo.utils.counters["graph_break"]
    assert compiled._compile_state.runner._eager is None
    assert np.isfinite(history.history["loss"]).all()
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(not np.array_equal(a, b) for a, b in zip(before, compiled.get_weights()))
    # Dropout draws its masks differently when compiled; inference has none to draw.
    eager.set_weights(compiled.get_weights())
    np.testing.assert_allclose(
        compiled.predict(x, verbose=0), eager.predict(x, verbose=0), atol=1e-5
    )
    np.testing.assert_allclose(
        compiled.evaluate(x, y, verbose=0), eager.evaluate(x, y, verbose=0), rtol=1e-5
    )


@pytest.mark.parametrize(
    ("build", "shape"),
    [(lambda: seed_mlp(dropout=0.0), (20,)), (seed_stacked_lstm, (3, 4))],
    ids=["mlp", "stacked_lstm"],
)
def test_without_randomness_compiled_training_gives_eager_numbers(build, shape):
    x, y = data(shape)
    eager, compiled = twins(build)
    expected = eager.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    actual = compiled.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    for name in expected:
        np.testing.assert_allclose(actual[name], expected[name], rtol=1e-4, atol=1e-6)
    for ours, theirs in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_the_whole_gradient_step_is_one_graph_compiled_once_per_batch_shape():
    from torchseq.training.step import CompiledStepRunner

    x, y = data((20,))  # batches of 16, 16 and 8
    _, compiled = twins(lambda: seed_mlp(dropout=0.0))
    torch._dynamo.utils.counters.clear()
    compiled.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert isinstance(compiled._compile_state.runner, CompiledStepRunner)
    assert not torch._dynamo.utils.counters["graph_break"]  # backward included, no break
    # forward, loss, backward and update: one graph per batch shape (the graph holds this
    # model's optimizer, so a new one compiles afresh) ...
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 2
    torch._dynamo.utils.counters.clear()
    compiled.fit(x, y, batch_size=16, epochs=2, verbose=0)
    # ... and later epochs compile nothing.
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == 0
    assert torch._dynamo.utils.counters["stats"]["calls_captured"] == 0


class HostNumber(layers.Layer):
    """A layer torch.compile cannot trace whole: it reads a number back to the host."""

    def call(self, inputs):
        return inputs * float(inputs.abs().max().item() > -1.0)

    def compute_output_shape(self, input_shape):
        return input_shape


@pytest.mark.parametrize(
    ("build", "shape"),
    [
        (lambda: ts.Sequential([ts.Input((20,)), HostNumber(), layers.Dense(10, "softmax")]), (20,)),
        (
            lambda: ts.Sequential([ts.Input((24, 3)), layers.LSTM(4), layers.Dense(10, "softmax")]),
            (24, 3),  # longer than a compiled step unrolls: the fused kernel breaks the graph
        ),
    ],
    ids=["item", "long_sequence"],
)
def test_a_step_with_graph_breaks_says_why_and_runs_eagerly(build, shape):
    x, y = data(shape)
    eager, compiled = twins(build)
    with pytest.warns(UserWarning, match="could not make the training step one graph"):
        compiled.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    eager.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert compiled._compile_state.runner._eager is not None
    assert int(compiled.optimizer.iterations) == int(eager.optimizer.iterations) == 6
    for ours, theirs in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_a_step_torch_compile_cannot_trace_at_all_runs_eagerly_and_counts_once():
    x, y = data((20,))
    eager, compiled = twins(lambda: seed_mlp(dropout=0.0))

    def untraceable(*args):
        raise RuntimeError("cannot trace this step")

    def break_the_compiler(logs):
        compiled._compile_state.runner._step = untraceable

    with pytest.warns(UserWarning, match="RuntimeError: cannot trace this step"):
        compiled.fit(
            x, y, batch_size=16, shuffle=False, verbose=0,
            callbacks=[ts.callbacks.LambdaCallback(on_train_begin=break_the_compiler)],
        )
    eager.fit(x, y, batch_size=16, shuffle=False, verbose=0)
    assert int(compiled.optimizer.iterations) == int(eager.optimizer.iterations) == 3
    for ours, theirs in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


class AddsLoss(layers.Layer):
    def call(self, inputs):
        self.add_loss(0.01 * torch.mean(inputs**2))
        return inputs


@pytest.mark.parametrize(
    "extra",
    [
        {"kernel_regularizer": "l2"},
        {"activity_regularizer": "l2"},
        {},  # with a layer that adds a loss in call()
    ],
    ids=["kernel_regularizer", "activity_regularizer", "add_loss"],
)
def test_losses_the_model_adds_train_compiled_as_eager(extra):
    def build():
        ts.utils.set_random_seed(0)
        return ts.Sequential(
            [
                ts.Input((6,)),
                layers.Dense(8, **extra),
                *([] if extra else [AddsLoss()]),
                layers.Dense(3, activation="softmax"),
            ]
        )

    x, y = data((6,), samples=48)
    y = y[:, :3] + y[:, 3:6] + y[:, 6:9]  # any 3-column targets
    runs = []
    for jit in (False, True):
        model = build()
        model.compile(ts.optimizers.SGD(0.1), "categorical_crossentropy", jit_compile=jit)
        torch._dynamo.utils.counters.clear()
        runs.append((model, model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)))
    (eager, eager_history), (compiled, compiled_history) = runs
    assert compiled._compile_state.runner._eager is None
    assert not torch._dynamo.utils.counters["graph_break"]
    np.testing.assert_allclose(
        compiled_history.history["loss"], eager_history.history["loss"], rtol=1e-5
    )
    for ours, theirs in zip(compiled.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
