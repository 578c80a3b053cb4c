"""Keras 2's rule: an ``Embedding`` first in a Sequential fixes the input shape."""

import numpy as np
import pytest

import torchseq as keras


def test_an_embedding_first_builds_the_model_for_sequences_of_any_length():
    model = keras.Sequential(
        [keras.layers.Embedding(1000, 64), keras.layers.LSTM(128), keras.layers.Dense(10)]
    )
    assert model.built
    assert tuple(model.input_shape) == (None, None)
    assert tuple(model.output_shape) == (None, 10)
    assert model.count_params() == 64_000 + 98_816 + 1_290
    lines = []
    model.summary(print_fn=lines.append)
    assert "(None, None, 64)" in "\n".join(lines)
    tokens = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    assert tuple(model(tokens).shape) == (2, 10)


def test_input_length_fixes_the_number_of_tokens():
    model = keras.Sequential()
    model.add(keras.layers.Embedding(1000, 64, input_length=10))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(1))
    assert tuple(model.input_shape) == (None, 10)
    assert tuple(model.layers[-1].kernel.shape) == (640, 1)
    assert model.inputs[0].dtype == "int32"


def test_an_embedding_after_the_first_layer_or_after_an_input_changes_nothing():
    model = keras.Sequential([keras.Input((7,), dtype="int32"), keras.layers.Embedding(10, 2)])
    assert tuple(model.input_shape) == (None, 7)
    stacked = keras.Sequential([keras.layers.Dense(3), keras.layers.Embedding(10, 2)])
    assert not stacked.built


def test_an_otherwise_unbuilt_model_still_has_no_summary():
    model = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="not been built"):
        model.summary()


def test_the_built_model_round_trips_its_config():
    model = keras.Sequential([keras.layers.Embedding(50, 4, mask_zero=True), keras.layers.GRU(3)])
    restored = keras.Sequential.from_config(model.get_config())
    assert tuple(restored.input_shape) == (None, None)
    restored.set_weights(model.get_weights())
    tokens = np.array([[1, 2, 0]])
    np.testing.assert_allclose(
        restored(tokens).detach().numpy(), model(tokens).detach().numpy(), atol=1e-6
    )
