"""The bad-input sweep (issue 13): one wrong call per line, each a TypeError/ValueError that
names the argument, what was received and what was expected, and changes nothing.

The cases the sweep found broken are here with the ones that guard what was already right.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq as keras

L = keras.layers
X = np.random.default_rng(0).random((8, 3)).astype("float32")
Y = np.random.default_rng(1).random((8, 2)).astype("float32")


def _model():
    model = keras.Sequential([keras.Input((3,)), L.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(X, Y, epochs=1, verbose=0)
    return model


def _built(layer, shape):
    layer(np.ones(shape, "float32"))
    return layer


CONSTRUCTION = {
    "Dense units": (lambda: L.Dense(0), ValueError, "units must be a positive integer.*units=0"),
    "Conv2D padding": (lambda: L.Conv2D(2, 3, padding="nope"), ValueError, r"padding must be .*'nope'"),
    "LSTM dropout": (lambda: L.LSTM(2, dropout=1.5), ValueError, r"dropout must be in \[0, 1\].*1.5"),
    "Dropout rate": (lambda: L.Dropout("0.5"), TypeError, "rate must be a float.*'0.5'"),
    "MHA key_dim": (lambda: L.MultiHeadAttention(2, 0), ValueError, "key_dim must be.*key_dim=0"),
    "Reshape -1 twice": (lambda: L.Reshape((-1, -1)), ValueError, r"at most one -1.*\(-1, -1\)"),
    "Input shape": (lambda: keras.Input((2.5,)), TypeError, r"shape must be a tuple of ints.*2.5"),
    "Sequential add": (lambda: keras.Sequential().add("dense"), TypeError, "expects a Layer.*'dense'"),
    "get_layer index": (lambda: _model().get_layer(index=1.5), TypeError, "index must be an int.*1.5"),
    "Adam learning_rate": (
        lambda: keras.optimizers.Adam(learning_rate=-1.0), ValueError, "learning_rate.*>= 0.*-1.0"
    ),
    "EarlyStopping mode": (lambda: keras.callbacks.EarlyStopping(mode="nope"), ValueError, "mode.*'nope'"),
    "ReduceLROnPlateau factor 2": (
        lambda: keras.callbacks.ReduceLROnPlateau(factor=2.0), ValueError, "factor >= 1.0.*2.0"
    ),
    "ReduceLROnPlateau factor 0": (
        lambda: keras.callbacks.ReduceLROnPlateau(factor=0.0), ValueError, r"factor must be in \(0, 1\).*0.0"
    ),
    "ReduceLROnPlateau factor -1": (
        lambda: keras.callbacks.ReduceLROnPlateau(factor=-0.5), ValueError, "factor=-0.5"
    ),
    "ModelCheckpoint save_freq": (
        lambda: keras.callbacks.ModelCheckpoint("m.keras", save_freq=0), ValueError, "save_freq=0"
    ),
    "to_categorical num_classes float": (
        lambda: keras.utils.to_categorical([0, 1], num_classes=2.5), TypeError, "num_classes=2.5 of type float"
    ),
    "to_categorical num_classes str": (
        lambda: keras.utils.to_categorical([0, 1], num_classes="3"), TypeError, "num_classes='3' of type str"
    ),
    "pad_sequences padding": (
        lambda: keras.utils.pad_sequences([[1], [2, 3]], padding="nope"), ValueError, "padding.*'nope'"
    ),
    "set_random_seed str": (lambda: keras.utils.set_random_seed("a"), TypeError, "seed='a' of type str"),
    "set_random_seed negative": (lambda: keras.utils.set_random_seed(-1), ValueError, "seed=-1"),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTION))
def test_a_wrong_argument_is_refused_where_it_is_given(name):
    build, error, message = CONSTRUCTION[name]
    with pytest.raises(error, match=message):
        build()


CALLS = {
    "Dense on a string": (lambda: L.Dense(2)("abc"), TypeError, r'"dense.*" expects a tensor.*\'abc\''),
    "Dense on None": (lambda: L.Dense(2)(None), TypeError, "expects a tensor.*None of type NoneType"),
    "Dropout on a string": (lambda: L.Dropout(0.5)("abc"), TypeError, "expects a tensor.*'abc'"),
    "Rescaling on a string": (lambda: L.Rescaling(0.5)("abc"), TypeError, "expects a tensor.*'abc'"),
    "Dense on rank 1": (
        lambda: L.Dense(2)(np.ones(3, "float32")), ValueError, r"expected min_ndim=2, found ndim=1"
    ),
    "built Dense on rank 1": (
        lambda: _built(L.Dense(2), (2, 3))(torch.ones(3)), ValueError, "expected min_ndim=2"
    ),
    "Conv1D on int64": (
        lambda: L.Conv1D(2, 3)(np.ones((1, 5, 2), "int64")), TypeError, "expects float inputs.*int64"
    ),
    "model on a dict": (lambda: _model()({"a": X}), TypeError, r"expects 1 input.*dict with keys \['a'\]"),
    "model on an int": (lambda: _model()(5), TypeError, "expects 1 input.*5 of type int"),
    "model on nested lists": (
        lambda: _model()([[1.0, 2.0, 3.0]]), TypeError, "expects 1 input.*list of 3 items"
    ),
    "model on rank 1": (lambda: _model()(np.ones(3, "float32")), ValueError, "expected min_ndim=2"),
    "loss on unbroadcastable shapes": (
        lambda: keras.losses.MeanSquaredError()(np.ones((2, 3)), np.ones((3, 3))),
        ValueError, r"mean_squared_error expects y_true and y_pred.*\(2, 3\).*\(3, 3\)",
    ),
    "metric on unbroadcastable shapes": (
        lambda: keras.metrics.MeanAbsoluteError().update_state(np.ones((2, 3)), np.ones((3, 3))),
        ValueError, r"Metric 'mean_absolute_error' expects y_true.*\(2, 3\).*\(3, 3\)",
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_wrong_input_gets_an_error_that_says_what_is_expected(name):
    call, error, message = CALLS[name]
    with pytest.raises(error, match=message):
        call()


def test_dense_computes_integer_and_boolean_inputs_as_keras_does():
    dense = L.Dense(2)
    expected = dense(np.ones((2, 3), "float32"))
    for dtype in ("int64", "int32", "bool"):
        torch.testing.assert_close(dense(np.ones((2, 3), dtype)), expected)


STATEFUL = {
    "fit y of another shape": (
        lambda m: m.fit(X, np.ones((8, 3), "float32"), verbose=0),
        ValueError, r"mean_squared_error .* same shape.*\(8, 3\).*\(None, 2\)",
    ),
    "train_on_batch y of another shape": (
        lambda m: m.train_on_batch(X, np.ones((8, 3), "float32")), ValueError, r"\(8, 3\)"
    ),
    "test_on_batch y of another shape": (
        lambda m: m.test_on_batch(X, np.ones((8, 3), "float32")), ValueError, r"\(8, 3\)"
    ),
    "evaluate y of another shape": (
        lambda m: m.evaluate(X, np.ones((8, 3), "float32"), verbose=0), ValueError, r"\(8, 3\)"
    ),
    "train_on_batch x None": (
        lambda m: m.train_on_batch(None, Y), TypeError, "train_on_batch: x must be.*x=None"
    ),
    "test_on_batch x None": (lambda m: m.test_on_batch(None, Y), TypeError, "test_on_batch: x=?.*None"),
    "predict_on_batch x None": (lambda m: m.predict_on_batch(None), TypeError, "predict_on_batch.*None"),
    "train_on_batch without y": (lambda m: m.train_on_batch(X), ValueError, "has a loss but no target"),
    "fit batch_size": (lambda m: m.fit(X, Y, batch_size=0, verbose=0), ValueError, "batch_size=0"),
    "fit validation_split": (
        lambda m: m.fit(X, Y, validation_split=1.0, verbose=0), ValueError, r"\[0, 1\).*1.0"
    ),
    "fit callbacks": (lambda m: m.fit(X, Y, callbacks=[5], verbose=0), TypeError, r"callbacks\[0\].*5"),
    "fit shuffle": (lambda m: m.fit(X, Y, shuffle="yes", verbose=0), ValueError, "shuffle.*'yes'"),
    "fit class_weight": (lambda m: m.fit(X, Y, class_weight=[1.0], verbose=0), TypeError, "class_weight"),
    "fit x/y lengths": (lambda m: m.fit(X, Y[:5], verbose=0), ValueError, "x has 8 samples, y has 5"),
    "compile optimizer": (lambda m: m.compile("nope", "mse"), ValueError, "Unknown optimizer.*'nope'"),
    "compile loss_weights": (
        lambda m: m.compile("adam", "mse", loss_weights=[1.0, 2.0]), ValueError, "loss_weights has 2"
    ),
    "compile loss_weights word": (
        lambda m: m.compile("adam", "mse", loss_weights="a"), TypeError,
        "loss_weights must be numbers, received 'a' of type str",
    ),
    "compile steps_per_execution float": (
        lambda m: m.compile("adam", "mse", steps_per_execution=1.5), TypeError,
        "steps_per_execution must be a positive int, received: 1.5",
    ),
    "fit validation_data number": (
        lambda m: m.fit(X, Y, validation_data=5, verbose=0), TypeError,
        "validation_data: x must be .*received: int",
    ),
    "set_weights string array": (
        lambda m: m.set_weights([np.ones((3, 2)), np.array(["a", "b"])]), TypeError, "weight 1 .*<U1"
    ),
    "layer set_weights object array": (
        lambda m: m.layers[0].set_weights([np.ones((3, 2)), np.array([None, None])]),
        TypeError, "weight 1 .*object",
    ),
}


@pytest.mark.parametrize("name", sorted(STATEFUL))
def test_a_failing_call_changes_nothing(name):
    call, error, message = STATEFUL[name]
    model = _model()
    weights = model.get_weights()
    iterations = int(model.optimizer.iterations)
    history = {key: list(values) for key, values in model.history.history.items()}
    optimizer = model.optimizer
    with pytest.raises(error, match=message):
        call(model)
    for old, new in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert int(model.optimizer.iterations) == iterations and model.optimizer is optimizer
    assert model.history.history == history
    assert not model.training


def test_load_weights_of_another_architecture_changes_nothing(tmp_path):
    other = keras.Sequential([keras.Input((5,)), L.Dense(2)])
    other.save_weights(tmp_path / "other.weights.h5")
    model = _model()
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"shape \(3, 2\) in the model.*\(5, 2\)"):
        model.load_weights(tmp_path / "other.weights.h5")
    for old, new in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_numpy_integers_are_accepted_where_python_ints_are():
    n = np.int64(2)
    assert keras.metrics.TopKCategoricalAccuracy(k=n).get_config()["k"] == 2
    assert type(keras.callbacks.EarlyStopping(patience=n).patience) is int
    assert keras.callbacks.ModelCheckpoint("m.keras", save_freq=n).save_freq == 2
    assert keras.callbacks.BackupAndRestore("backup", save_freq=n).save_freq == 2
    assert keras.initializers.GlorotUniform(seed=n).get_config()["seed"] == 2
    assert keras.losses.SparseCategoricalCrossentropy(ignore_class=n).get_config()["ignore_class"] == 2
    assert keras.utils.to_categorical([0, 1], num_classes=np.int64(3)).shape == (2, 3)
    keras.utils.set_random_seed(np.int64(1))
    model = _model()
    assert model.predict(X, batch_size=n, steps=np.int64(1), verbose=0).shape == (2, 2)
