"""Models fed strings: ``Input(dtype="string")`` first into a layer that takes strings.

Torch has no string tensors, so the strings stay numpy arrays on the host (through the
data adapter's batching and shuffling) until the model's first string layer turns them
into tensors. Keras 3 on torch builds such an ``Input`` but cannot run it (its string
layers need TensorFlow), so the numbers are checked against the same layers called on
the same strings outside a model.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq.layers.input_layer import InputLayer
from torchseq.training.data import make_adapter

_WORDS = np.array(["cat", "dog", "cat", "bird", "dog", "cat", "fish", "dog"])
_LABELS = np.array([1, 0, 1, 0, 0, 1, 0, 0], dtype="float32")


def _lookup():
    return keras.layers.StringLookup(vocabulary=["cat", "dog", "bird"], output_mode="one_hot")


def _hashing():
    return keras.layers.Hashing(num_bins=4, output_mode="one_hot")


def _text_vectorization():
    layer = keras.layers.TextVectorization(max_tokens=10, output_mode="multi_hot")
    layer.adapt(["cat dog", "bird cat", "fish"])
    return layer


@pytest.mark.parametrize("make_layer", [_lookup, _hashing, _text_vectorization])
@pytest.mark.parametrize("shape", [(), (1,)])
def test_string_model_fits_predicts_and_evaluates(make_layer, shape):
    strings = _WORDS.reshape(-1, *shape)
    inputs = keras.Input(shape=shape, dtype="string")
    layer = make_layer()
    features = layer(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid")(features)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy")

    history = model.fit(strings, _LABELS, batch_size=3, epochs=2, verbose=0)

    dense = model.layers[-1]
    expected = torch.sigmoid(layer(strings) @ dense.kernel + dense.bias)
    torch.testing.assert_close(torch.as_tensor(model.predict(strings, verbose=0)), expected.detach())
    torch.testing.assert_close(model(strings), expected)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate(strings, _LABELS, verbose=0))


def test_strings_and_numbers_feed_a_two_input_model_by_name():
    words = keras.Input(shape=(), dtype="string", name="word")
    counts = keras.Input(shape=(1,), name="count")
    lookup = keras.layers.StringLookup(vocabulary=["cat", "dog"], output_mode="one_hot")
    joined = keras.layers.Concatenate()([lookup(words), counts])
    model = keras.Model({"word": words, "count": counts}, keras.layers.Dense(1)(joined))
    model.compile("sgd", "mse")
    data = {"word": _WORDS, "count": np.arange(8, dtype="float64").reshape(8, 1)}

    history = model.fit(data, _LABELS, validation_split=0.25, epochs=1, verbose=0)

    dense = model.layers[-1]
    features = torch.cat([lookup(_WORDS), torch.arange(8.0).reshape(8, 1)], axis=1)
    expected = (features @ dense.kernel + dense.bias).detach().numpy()
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-6)
    assert sorted(history.history) == ["loss", "val_loss"]


def test_string_input_is_symbolic_string():
    inputs = keras.Input(shape=(1,), dtype="string", name="text")

    assert inputs.dtype == "string"
    assert inputs.shape == (None, 1)
    assert keras.layers.TextVectorization(output_sequence_length=4)(inputs).shape == (None, 4)


def test_string_input_config_is_keras_config(keras_ref):
    reference = keras_ref.Input(shape=(1,), dtype="string", name="text")
    keras_config = reference._keras_history[0].get_config()

    layer = InputLayer.from_config(keras_config)

    assert layer.dtype == "string"
    assert layer.get_config() == {
        "batch_shape": (None, 1), "dtype": "string", "sparse": False, "name": "text",
    }


def test_layer_that_takes_no_strings_refuses_a_string_input():
    inputs = keras.Input(shape=(1,), dtype="string")
    dense = keras.layers.Dense(2)

    with pytest.raises(TypeError, match=r"'dense' \(Dense\) received a string input"):
        dense(inputs)
    assert dense._inbound_nodes == []


def test_string_model_summary_lists_the_string_input(capsys):
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    outputs = keras.layers.StringLookup(vocabulary=["a", "b"])(inputs)
    keras.Model(inputs, outputs).summary()

    printed = capsys.readouterr().out
    assert "text (InputLayer)" in printed
    assert "string_lookup (StringLookup)" in printed


def test_adapter_shuffles_strings_as_numpy_with_their_targets():
    strings = np.array([f"word{i}" for i in range(10)])
    targets = np.arange(10)
    adapter = make_adapter(strings, targets, batch_size=4, shuffle=True)

    batches = list(adapter.batches(0))

    assert [type(x) for x, _, _ in batches] == [np.ndarray] * 3
    assert [len(x) for x, _, _ in batches] == [4, 4, 2]
    for x, y, _ in batches:
        assert list(x) == [f"word{i}" for i in y.tolist()]
    assert sorted(s for x, _, _ in batches for s in x) == sorted(strings)


def test_adapter_slices_strings_in_order_without_shuffle():
    strings = np.array(["a", "b", "c"], dtype=object)
    adapter = make_adapter(strings, np.zeros(3), batch_size=2, shuffle=False)

    assert [list(x) for x, _, _ in adapter.batches(0)] == [["a", "b"], ["c"]]


def test_string_model_saves_and_loads(tmp_path):
    inputs = keras.Input(shape=(1,), dtype="string")
    vectorize = keras.layers.TextVectorization(max_tokens=10, output_sequence_length=3)
    vectorize.adapt(["good movie", "bad film", "good film"])
    embedded = keras.layers.Embedding(10, 2)(vectorize(inputs))
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(embedded))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    model.fit(np.array([["good movie"], ["bad film"]]), np.array([1.0, 0.0]), verbose=0)
    model.save(tmp_path / "text.keras")

    loaded = keras.models.load_model(tmp_path / "text.keras")

    strings = np.array([["good film"], ["bad movie"], ["unseen words"]])
    assert loaded.inputs[0].dtype == "string"
    np.testing.assert_array_equal(
        loaded.predict(strings, verbose=0), model.predict(strings, verbose=0)
    )


@pytest.fixture(scope="module")
def keras_ref():
    import keras as reference

    return reference
