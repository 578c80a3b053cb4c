"""``compile(steps_per_execution=N)``: batch hooks once per group of N batches, same numbers.

Keras 3.15.1 refuses ``steps_per_execution > 1`` on the torch backend, so the reference
for N > 1 is Keras's own loop with its step functions replaced by ones that run a group
of batches each, as its JAX backend does; the batch indices come from Keras's
``EpochIterator``, shared by all backends. One deliberate difference: a final partial
group ends at the last batch that ran, where Keras reports ``first + N - 1``, an index
past the data (and warns that the input ran out).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchseq
from torchseq import callbacks

keras = pytest.importorskip("keras")

# 23 samples; validation_split=0.3 leaves 16 for training (8 batches of 2) and 7 for
# validation (4 batches): neither is a multiple of 2 * 3.
SAMPLES, BATCH = 23, 2


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((SAMPLES, 4)).astype("float32"), rng.random((SAMPLES, 1)).astype("float32")


def model_for(k: object) -> object:
    return k.Sequential(
        [k.Input(shape=(4,)), k.layers.Dense(3, activation="tanh"), k.layers.Dense(1)]
    )


def recorder(base: type) -> object:
    """A callback of ``base`` (Keras's or ours) that records hooks, batch indices, log keys."""

    class Recorder(base):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[tuple] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.calls.append(("epoch_begin", epoch))

        def on_epoch_end(self, epoch, logs=None):
            self.calls.append(("epoch_end", epoch, sorted(logs)))

        def on_train_batch_begin(self, batch, logs=None):
            self.calls.append(("train_batch_begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            self.calls.append(("train_batch_end", batch, sorted(logs)))

        def on_test_begin(self, logs=None):
            self.calls.append(("test_begin",))

        def on_test_batch_begin(self, batch, logs=None):
            self.calls.append(("test_batch_begin", batch))

        def on_test_batch_end(self, batch, logs=None):
            self.calls.append(("test_batch_end", batch, sorted(logs)))

        def on_test_end(self, logs=None):
            self.calls.append(("test_end", sorted(logs)))

        def on_predict_batch_begin(self, batch, logs=None):
            self.calls.append(("predict_batch_begin", batch))

        def on_predict_batch_end(self, batch, logs=None):
            self.calls.append(("predict_batch_end", batch, tuple(logs["outputs"].shape)))

    return Recorder()


def run_all(model: object, callback: object) -> None:
    x, y = data()
    model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=2,
        validation_split=0.3,
        shuffle=False,
        callbacks=[callback],
        verbose=0,
    )
    model.evaluate(x, y, batch_size=4, callbacks=[callback], verbose=0)
    model.predict(x, batch_size=4, callbacks=[callback], verbose=0)


def keras_calls(n: int) -> list[tuple]:
    """The hook calls of Keras's loop; for n > 1 with the JAX backend's grouped steps."""
    keras.utils.clear_session()
    model = model_for(keras)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    if n > 1:
        model.steps_per_execution = n

        def train(group):
            return [model.train_step(batch) for batch in group][-1]

        def test(group):
            with torch.no_grad():
                return [model.test_step(batch) for batch in group][-1]

        def predict(group):
            with torch.no_grad():
                return torch.cat([model.predict_step(batch) for batch in group])

        model.train_function, model.test_function, model.predict_function = train, test, predict
    callback = recorder(keras.callbacks.Callback)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Your input ran out of data" after a partial group
        run_all(model, callback)
    return callback.calls


def our_calls(n: int) -> list[tuple]:
    model = model_for(torchseq)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], steps_per_execution=n)
    callback = recorder(callbacks.Callback)
    run_all(model, callback)
    return callback.calls


def clamp_partial_groups(calls: list[tuple]) -> list[tuple]:
    """Keras's calls with a final partial group's end index set to the last batch run."""
    batches = {"train": 8, "validation": 4, "test": 6, "predict": 6}  # see run_all
    clamped, fitting = [], False
    for call in calls:
        hook = call[0]
        fitting = hook != "epoch_end" and (fitting or hook == "epoch_begin")
        if hook.endswith("batch_end"):
            loop = hook.split("_")[0]
            loop = "validation" if loop == "test" and fitting else loop
            call = (hook, min(call[1], batches[loop] - 1), *call[2:])
        clamped.append(call)
    return clamped


@pytest.mark.parametrize("n", [1, 3])
def test_the_callback_calls_are_keras_s(n):
    expected = keras_calls(n)
    if n > 1:
        expected = clamp_partial_groups(expected)
    assert our_calls(n) == expected


def test_hooks_group_batches_with_first_and_last_index():
    calls = our_calls(3)
    train = [c[:2] for c in calls if c[0].startswith("train_batch")][:6]
    assert train == [
        ("train_batch_begin", 0),
        ("train_batch_end", 2),
        ("train_batch_begin", 3),
        ("train_batch_end", 5),
        ("train_batch_begin", 6),
        ("train_batch_end", 7),
    ]
    predict = [c for c in calls if c[0].startswith("predict_batch_end")]
    assert predict == [("predict_batch_end", 2, (12, 1)), ("predict_batch_end", 5, (11, 1))]


@pytest.mark.parametrize("validation", [False, True])
def test_the_history_does_not_depend_on_steps_per_execution(validation):
    x, y = data()
    histories, weights = [], []
    for n in (1, 3):
        torch.manual_seed(0)
        model = model_for(torchseq)
        model.compile(optimizer="adam", loss="mse", metrics=["mae"], steps_per_execution=n)
        history = model.fit(
            x, y, batch_size=BATCH, epochs=3, verbose=0, validation_split=0.3 if validation else 0.0
        )
        histories.append(history.history)
        weights.append(model.get_weights())
    assert histories[0] == histories[1]
    for first, second in zip(*weights):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(
    ("steps_per_epoch", "expected"),
    [
        (4, [[(0, 2), (3, 3)], [(0, 2), (3, 3)]]),
        # 12 batches a pass: the second epoch gets the 5 left, then the next pass starts.
        (7, [[(0, 2), (3, 5), (6, 6)], [(0, 2), (3, 4)]]),
    ],
)
def test_steps_per_epoch_is_kept_and_its_last_group_is_partial(steps_per_epoch, expected):
    # Keras's EpochIterator runs whole groups past steps_per_epoch (6 batches for 4).
    x, y = data()
    model = model_for(torchseq)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=3)
    groups = []
    hooks = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: groups.append([]),
        on_train_batch_begin=lambda batch, logs: groups[-1].append([batch]),
        on_train_batch_end=lambda batch, logs: groups[-1][-1].append(batch),
    )
    model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=2,
        steps_per_epoch=steps_per_epoch,
        callbacks=[hooks],
        verbose=0,
    )
    assert [[tuple(group) for group in epoch] for epoch in groups] == expected


def test_a_group_larger_than_the_epoch_is_one_call():
    x, y = data()
    model = model_for(torchseq)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=32)
    callback = recorder(callbacks.Callback)
    model.fit(x, y, batch_size=4, epochs=1, callbacks=[callback], verbose=0)
    assert [c[:2] for c in callback.calls if "batch" in c[0]] == [
        ("train_batch_begin", 0),
        ("train_batch_end", 5),
    ]


def test_stop_training_is_looked_at_between_groups():
    x, y = data()
    model = model_for(torchseq)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=3)
    seen = []

    def stop(batch, logs):
        seen.append(batch)
        model.stop_training = True

    model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_train_batch_begin=stop)],
    )
    assert seen == [0]  # the whole first group ran, then fit stopped
    assert model.history.epoch == [0]


def test_the_progress_bar_counts_batches(capsys):
    x, y = data()
    model = model_for(torchseq)
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=3)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=1)
    lines = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert lines[0] == "3/12" and lines[-1] == "12/12"  # 12 batches, redrawn per group


@pytest.mark.parametrize(
    ("value", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError)]
)
def test_a_bad_steps_per_execution_is_refused(value, error):
    model = model_for(torchseq)
    with pytest.raises(error, match="steps_per_execution must be a positive int"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=value)
