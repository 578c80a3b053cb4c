"""fit / evaluate / predict with a stateful model: no shuffling, fixed batches, carried states.

A model is stateful when one of its layers has ``stateful=True``: sample i of each batch
continues the sequence of sample i of the batch before, so every batch must have the
layer's fixed batch size and ``fit`` must not reorder the samples. Keras shuffles anyway
(silently breaking the states) and uses a batch size of 32 when none is given (which then
fails); torchseq keeps the order, with a warning, and uses the fixed batch size.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import torchseq
from torchseq.layers import LSTM, Dense, Input

B, T, F, CLASSES = 4, 5, 3, 10


def stateful_model() -> torchseq.Sequential:
    """The shape of the stacked stateful LSTM of the seed document 004."""
    torch.manual_seed(0)
    model = torchseq.Sequential(
        [
            Input(batch_shape=(B, T, F)),
            LSTM(32, return_sequences=True, stateful=True),
            LSTM(32, stateful=True),
            Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(batches: int = 3, extra: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    samples = batches * B + extra
    x = rng.random((samples, T, F)).astype("float32")
    return x, rng.integers(0, CLASSES, size=(samples,))


def same_weights(first: list[np.ndarray], second: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first, second))


# ---------------------------------------------------------------------- training


def test_fit_trains_two_epochs_and_carries_the_states():
    model = stateful_model()
    x, y = data()
    before = model.get_weights()
    history = model.fit(x, y, batch_size=B, epochs=2, shuffle=False, verbose=0)
    assert history.epoch == [0, 1]
    assert np.isfinite(history.history["loss"]).all()
    assert not same_weights(model.get_weights(), before)
    model.reset_states()
    first, second = x[:B], x[B : 2 * B]
    model.predict(first, verbose=0)
    after_first = model.predict(second, verbose=0)
    model.reset_states()
    from_zeros = model.predict(second, verbose=0)
    assert not np.allclose(after_first, from_zeros, atol=1e-4)
    model.reset_states()
    both = model.predict(np.concatenate([first, second]), verbose=0)
    np.testing.assert_allclose(both[B:], after_first, atol=1e-6)


def test_batch_size_defaults_to_the_fixed_one():
    model = stateful_model()
    x, y = data(batches=12)  # 36 + 12 samples: Keras's 32 would leave batches of 4
    model.fit(x, y, epochs=1, shuffle=False, verbose=0, validation_split=0.25)
    assert len(model.evaluate(x, y, verbose=0)) == 2
    assert model.predict(x, verbose=0).shape == (12 * B, CLASSES)


def test_fit_does_not_shuffle_a_stateful_model_and_warns_once():
    x, y = data()
    results = {}
    for shuffle in (False, True):
        model = stateful_model()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(x, y, batch_size=B, epochs=2, shuffle=shuffle, verbose=0)
        results[shuffle] = (history.history, model.get_weights(), caught)
    assert results[False][2] == []
    caught = results[True][2]
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert "stateful" in str(caught[0].message) and "shuffle=False" in str(caught[0].message)
    assert caught[0].filename == __file__
    assert results[True][0] == results[False][0]
    assert same_weights(results[True][1], results[False][1])


def test_shuffle_batch_is_also_turned_off():
    model = stateful_model()
    x, y = data()
    with pytest.warns(UserWarning, match="stateful"):
        model.fit(x, y, batch_size=B, shuffle="batch", verbose=0)


def test_a_generator_keeps_its_order_without_a_warning():
    model = stateful_model()
    x, y = data()
    batches = ((x[i : i + B], y[i : i + B]) for i in range(0, len(x), B))
    model.fit(batches, steps_per_epoch=3, verbose=0)  # warnings are errors here


def test_the_first_look_at_the_data_carries_no_state():
    # fit / evaluate run the model once on the first batch to check shapes; that must not
    # leave states behind for the first real batch.
    model = stateful_model()
    x, y = data(batches=1)
    probabilities = model.predict(x, verbose=0)
    model.reset_states()
    loss, _ = model.evaluate(x, y, verbose=0)
    expected = -np.log(probabilities[np.arange(B), y]).mean()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


# ---------------------------------------------------------------------- refused before any change


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda m, x, y: m.fit(x, y, batch_size=8, verbose=0),
            r"fixed batch size of 4.*batch_size=8",
        ),
        (
            lambda m, x, y: m.fit(x[:10], y[:10], verbose=0),
            r"x with 10 samples.*multiple of 4 \(8 samples\)",
        ),
        (
            lambda m, x, y: m.fit(x[:3], y[:3], batch_size=B, verbose=0),
            r"x with 3 samples.*at least 4 samples",
        ),
        (
            lambda m, x, y: m.fit(x, y, validation_split=0.25, verbose=0),
            r"training part of x \(validation_split=0.25\) with 9 samples",
        ),
        (
            lambda m, x, y: m.fit(x, y, validation_data=(x[:6], y[:6]), verbose=0),
            r"validation_data with 6 samples",
        ),
        (
            lambda m, x, y: m.fit(x, y, validation_data=(x, y), validation_batch_size=2, verbose=0),
            r"validation_batch_size=2",
        ),
        (lambda m, x, y: m.evaluate(x[:6], y[:6], verbose=0), r"evaluate: .*6 samples"),
        (lambda m, x, y: m.evaluate(x, y, batch_size=2, verbose=0), r"evaluate: .*batch_size=2"),
        (lambda m, x, y: m.predict(x[:5], verbose=0), r"predict: .*5 samples"),
        (lambda m, x, y: m.predict(x, batch_size=32, verbose=0), r"predict: .*batch_size=32"),
    ],
)
def test_batches_of_another_size_are_refused_before_anything_changes(call, match):
    model = stateful_model()
    x, y = data(batches=3)
    model.predict(x[:B], verbose=0)  # some carried state, which must survive too
    weights = model.get_weights()
    states = [layer._states for layer in model.layers[:2]]
    with pytest.raises(ValueError, match=match):
        call(model, x, y)
    assert same_weights(model.get_weights(), weights)
    assert [layer._states for layer in model.layers[:2]] == states


def test_the_split_parts_are_checked_each():
    model = stateful_model()
    x, y = data(batches=2, extra=2)  # 10 samples: 0.2 leaves 8 and 2
    with pytest.raises(ValueError, match=r"validation part of x .* 2 samples"):
        model.fit(x, y, validation_split=0.2, verbose=0)


def test_an_unbuilt_stateful_model_is_checked_once_its_batch_size_is_known():
    model = torchseq.Sequential([LSTM(8, stateful=True), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((10, T, F), "float32")
    y = np.zeros((10, 2), "float32")
    with pytest.raises(ValueError, match=r"fixed batch size of 4.*10 samples"):
        model.fit(x, y, batch_size=B, verbose=0, shuffle=False)
    assert int(model.optimizer.iterations) == 0
    model.fit(x[:8], y[:8], batch_size=B, verbose=0, shuffle=False)
