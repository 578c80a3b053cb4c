"""Data reaches the model in each Input's dtype, through utils.conversion's one rule."""

from __future__ import annotations

import collections
import os

import numpy as np
import pytest
import torch

import torchseq as keras
from torchseq.utils import conversion

os.environ.setdefault("KERAS_BACKEND", "torch")


def dense_model(dtype=None):
    inputs = keras.Input((3,), dtype=dtype)
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile("sgd", "mse")
    return model


def record_input_dtypes(layer):
    seen = []
    layer.register_forward_pre_hook(lambda module, args: seen.append(args[0].dtype))
    return seen


@pytest.mark.parametrize("x_dtype", ["bool", "int64", "float64", "float16"])
def test_features_of_any_dtype_reach_a_float_model_as_floatx(x_dtype):
    model = dense_model()
    seen = record_input_dtypes(model.layers[1])
    x = (np.arange(24).reshape(8, 3) % 2).astype(x_dtype)
    y = np.ones((8, 2))
    model.fit(x, y, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.train_on_batch(x, y)
    model.test_on_batch(x, y)
    assert model.predict(x, verbose=0).dtype == np.float32
    assert model.predict_on_batch(x).dtype == np.float32
    assert model(x).dtype == torch.float32
    assert set(seen) == {torch.float32}


def test_an_int32_input_keeps_integers():
    inputs = keras.Input((5,), dtype="int32")
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 4)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    model.compile("sgd", "mse")
    seen = record_input_dtypes(model.layers[1])
    x = np.random.default_rng(0).integers(0, 10, (8, 5))
    model.fit(x, np.ones((8, 1)), verbose=0)
    model.predict(x, verbose=0)
    model.predict_on_batch(x)
    model(x)
    assert set(seen) == {torch.int32}


def test_inputs_of_a_multi_input_model_get_their_own_dtypes():
    ids = keras.Input((4,), dtype="int32", name="ids")
    values = keras.Input((2,), name="values")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(10, 2)(ids))
    concatenate = keras.layers.Concatenate()
    model = keras.Model([ids, values], keras.layers.Dense(1)(concatenate([embedded, values])))
    model.compile("sgd", "mse")
    seen = []
    concatenate.register_forward_pre_hook(
        lambda module, args: seen.extend(tensor.dtype for tensor in args[0])
    )
    x_ids = np.ones((6, 4), dtype="int64")
    x_values = np.ones((6, 2), dtype="float64")
    model.fit([x_ids, x_values], np.ones((6, 1)), verbose=0)
    model.fit({"ids": x_ids, "values": x_values}, np.ones((6, 1)), verbose=0)
    model.predict_on_batch([x_ids, x_values])
    assert set(seen) == {torch.float32}


@pytest.mark.parametrize("convert", ["double", "to"])
def test_a_model_converted_to_float64_trains_and_predicts_in_float64(convert):
    model = dense_model()
    model.double() if convert == "double" else model.to(torch.float64)
    seen = record_input_dtypes(model.layers[1])
    x = np.random.default_rng(0).normal(size=(8, 3))
    model.fit(x, np.ones((8, 2)), verbose=0)
    model.fit(x.astype("float32"), np.ones((8, 2), dtype="float32"), verbose=0)
    assert model.predict(x, verbose=0).dtype == np.float64
    assert model.predict_on_batch(x).dtype == np.float64
    assert model(x).dtype == torch.float64
    assert model.evaluate(x, np.ones((8, 2)), verbose=0) >= 0
    assert set(seen) == {torch.float64}


def test_a_float64_model_keeps_float64_precision_of_numpy_data():
    model = dense_model().double()
    x = np.array([[1 + 1e-12, 0.0, 0.0]])
    model.set_weights([np.eye(3, 2), np.zeros(2)])
    assert model(x)[0, 0].item() == 1 + 1e-12


def test_a_declared_float64_input_gets_float64_in_a_float32_model():
    inputs = keras.Input((3,), dtype="float64")
    cast = keras.layers.Lambda(lambda t: t.float())(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(cast))
    model.compile("sgd", "mse")
    seen = record_input_dtypes(model.layers[1])
    model.fit(np.ones((4, 3), dtype="float32"), np.ones((4, 1)), verbose=0)
    assert set(seen) == {torch.float64}


def test_a_generator_batches_are_cast_too():
    model = dense_model()
    batches = ((np.ones((4, 3), dtype="int64"), np.ones((4, 2))) for _ in range(2))
    history = model.fit(batches, steps_per_epoch=2, verbose=0)
    assert len(history.history["loss"]) == 1


def test_a_subclassed_model_gets_float_data_as_floatx_and_keeps_integers():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            self.seen = inputs.dtype
            return self.dense(inputs.float())

    model = Net()
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert model.seen == torch.float32
    model.predict(np.ones((4, 3), dtype="int64"), verbose=0)
    assert model.seen == torch.int64


def test_numpy_data_is_wrapped_without_a_copy_when_no_cast_is_needed():
    array = np.ones((4, 3), dtype="float32")
    tensor = conversion.to_tensor(array, torch.float32)
    assert tensor.data_ptr() == array.__array_interface__["data"][0]


def test_data_dtypes_rule():
    declared = [torch.float32, torch.int32, torch.float64]
    assert conversion.data_dtypes(declared, torch.float64) == (
        [torch.float64, torch.int32, torch.float64],
        torch.float64,
    )
    assert conversion.data_dtypes(declared, None) == (declared, torch.float32)
    assert conversion.data_dtypes(None, torch.float16) == (None, torch.float16)


def test_parity_with_keras_on_int_features():
    keras3 = pytest.importorskip("keras")
    x = np.random.default_rng(0).integers(0, 3, (16, 3))
    y = np.random.default_rng(1).normal(size=(16, 2)).astype("float32")
    models = []
    for lib in (keras3, keras):
        inputs = lib.Input((3,))
        model = lib.Model(inputs, lib.layers.Dense(2)(inputs))
        model.compile(lib.optimizers.SGD(0.01), "mse")
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    for model in models:
        model.fit(x, y, batch_size=8, shuffle=False, verbose=0)
    theirs, ours = (model.predict(x, verbose=0) for model in models)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


Pair = collections.namedtuple("Pair", ["x", "y"])
Inputs = collections.namedtuple("Inputs", ["first", "second"])


def two_input_model():
    first, second = keras.Input((2,)), keras.Input((3,))
    merged = keras.layers.Concatenate()([first, second])
    model = keras.Model([first, second], keras.layers.Dense(1)(merged))
    model.compile("sgd", "mse")
    return model


def test_namedtuple_of_inputs_is_a_sequence_of_inputs():
    model = two_input_model()
    x = Inputs(np.ones((6, 2)), np.ones((6, 3), dtype="int64"))
    model.fit(x, np.ones((6, 1)), verbose=0)
    assert model.predict(x, verbose=0).shape == (6, 1)
    assert model.predict_on_batch(x).shape == (6, 1)
    assert tuple(model(x).shape) == (6, 1)


def test_namedtuple_batches_and_validation_data_unpack_as_tuples():
    model = dense_model()
    data = Pair(np.ones((8, 3)), np.ones((8, 2)))
    batches = iter([data, data])
    history = model.fit(batches, steps_per_epoch=2, validation_data=data, verbose=0)
    assert "val_loss" in history.history


def test_boolean_one_hot_targets_train_as_float_ones():
    # keras.io's addition_rnn example: one-hot bool sequences in, one-hot bool sequences out.
    rng = np.random.default_rng(0)
    x = np.eye(5, dtype=bool)[rng.integers(0, 5, (16, 3))]
    y = np.eye(5, dtype=bool)[rng.integers(0, 5, (16, 2))]
    histories = []
    for targets in (y, y.astype("float32")):
        keras.utils.set_random_seed(1)
        model = keras.Sequential(
            [
                keras.Input((3, 5)),
                keras.layers.LSTM(4),
                keras.layers.RepeatVector(2),
                keras.layers.Dense(5, activation="softmax"),
            ]
        )
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        logs = model.fit(x, targets, batch_size=8, epochs=2, verbose=0).history
        logs.update(model.evaluate(x, targets, verbose=0, return_dict=True))
        histories.append(logs)
    assert histories[0].keys() == histories[1].keys()
    for key, values in histories[1].items():
        np.testing.assert_allclose(histories[0][key], values, rtol=1e-6)
