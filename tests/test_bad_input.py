"""Wrong calls give a TypeError/ValueError that names the argument, and change nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchseq as keras

X = np.random.default_rng(0).random((8, 3)).astype("float32")
Y = np.random.default_rng(1).random((8, 1)).astype("float32")
LABELS = np.array([0, 1, 2, 3, 0, 1, 2, 3])


def _model(loss="mse", units=1, activation=None):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation=activation)])
    model.compile("sgd", loss)
    return model


def _sparse():
    return _model("sparse_categorical_crossentropy", 4, "softmax")


def _functional_two_inputs_one_name():
    first, second = keras.Input((3,), name="a"), keras.Input((3,), name="a")
    return keras.Model([first, second], keras.layers.Add()([first, second]))


CASES = {
    "call on str": (lambda m: m("abc"), TypeError, "expects 1 input.*received: 'abc'"),
    "call on None": (lambda m: m(None), TypeError, "expects 1 input.*received: None"),
    "call on list": (lambda m: m([X, X]), ValueError, "expects 1 input.*list of 2 items"),
    "call on complex": (lambda m: m(X.astype(np.complex64)), TypeError, "real numbers.*complex64"),
    "epochs float": (lambda m: m.fit(X, Y, epochs=2.5, verbose=0), TypeError, "epochs must be an int.*2.5"),
    "epochs str": (lambda m: m.fit(X, Y, epochs="3", verbose=0), TypeError, "epochs must be an int.*'3'"),
    "initial_epoch str": (
        lambda m: m.fit(X, Y, epochs=3, initial_epoch="1", verbose=0),
        TypeError, "initial_epoch must be an int",
    ),
    "verbose word": (lambda m: m.fit(X, Y, verbose="loud"), ValueError, "verbose must be one of.*'loud'"),
    "evaluate verbose": (lambda m: m.evaluate(X, Y, verbose=5), ValueError, "verbose must be one of"),
    "set_weights None": (lambda m: m.set_weights(None), TypeError, "set_weights expects a list.*None"),
    "fit without y": (lambda m: m.fit(X, verbose=0), ValueError, "has a loss but no target"),
    "sample_weight shape": (
        lambda m: m.fit(X, Y, sample_weight=np.ones((8, 4)), verbose=0),
        ValueError, r"sample_weight .* shape \(8, 4\)",
    ),
    "add itself": (lambda m: m.add(m), ValueError, "cannot be added to itself"),
    "sparse label out of range": (
        lambda m: m.fit(X, np.array([0, 1, 2, 7, 0, 1, 2, 3]), verbose=0),
        ValueError, r"sparse_categorical_crossentropy .*\[0, 4\).*label 7",
    ),
    "sparse label negative": (
        lambda m: m.evaluate(X, -LABELS, verbose=0), ValueError, "label -1",
    ),
    "sparse float label": (
        lambda m: m.fit(X, np.full(8, 0.5), verbose=0), ValueError, "label 0.5",
    ),
    "fit wrong feature size": (
        lambda m: m.fit(X[:, :2], Y, verbose=0), ValueError, "expected axis -1.*value 3.*shape",
    ),
    "evaluate wrong feature size": (
        lambda m: m.evaluate(np.ones((8, 5)), Y, verbose=0), ValueError, "value 3.*\\(8, 5\\)",
    ),
    "fit string targets": (
        lambda m: m.fit(X, np.full((8, 1), "a"), verbose=0), TypeError, "numeric targets.*strings",
    ),
    "class_weight unknown class": (
        lambda m: m.fit(X, LABELS, class_weight={0: 1.0, 9: 2.0}, verbose=0),
        ValueError, r"class_weight names classes \[9\].*4 classes",
    ),
}
SPARSE = {name for name in CASES if "sparse" in name or "class_weight" in name}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_wrong_call_raises_and_changes_nothing(name):
    call, error, message = CASES[name]
    model = _sparse() if name in SPARSE else _model()
    model.fit(X, LABELS if name in SPARSE else Y, epochs=1, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    iterations = int(model.optimizer.iterations)
    history = dict(model.history.history)
    with pytest.raises(error, match=message):
        call(model)
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    assert int(model.optimizer.iterations) == iterations
    assert model.history.history == history
    assert not model.training


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: keras.Sequential(5), TypeError, "Sequential expects a list of layers.*5"),
        (lambda: keras.Input(shape=(-2,)), ValueError, r"non-negative.*\(-2,\)"),
        (_functional_two_inputs_one_name, ValueError, r"unique names.*\['a'\] repeated"),
        (lambda: keras.layers.Dense(True), ValueError, "units=True"),
    ],
)
def test_a_wrong_construction_raises(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_numpy_integers_are_accepted_as_ints():
    model = keras.Sequential([keras.Input((np.int64(3),)), keras.layers.Dense(np.int64(2))])
    model.compile("sgd", "mse")
    model.fit(X, np.zeros((8, 2)), batch_size=np.int64(4), epochs=np.int64(2), verbose=np.int64(0))
    assert len(model.history.history["loss"]) == 2
    assert model.get_layer(index=np.int64(0)) is model.layers[0]
    assert model.layers[0].units == 2 and type(model.layers[0].units) is int


def test_the_loss_function_names_an_out_of_range_label():
    with pytest.raises(ValueError, match=r"\[0, 3\).*label 5"):
        keras.losses.sparse_categorical_crossentropy(torch.tensor([0, 5]), torch.full((2, 3), 1 / 3))


def test_an_unknown_metric_name_fails_at_compile_and_keeps_the_compile_state():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    model.compile("sgd", "mse", metrics=["mae"])
    optimizer, state = model.optimizer, model._compile_state
    for metrics in (["nope"], {"dense": ["mae", "nope"]}, [None]):
        with pytest.raises(ValueError, match="nope|None"):
            model.compile("adam", "mse", metrics=metrics)
        assert model.optimizer is optimizer and model._compile_state is state
    model.compile("adam", "mse", metrics=["acc", "ACCURACY", "mse"])  # shape-chosen names wait


@pytest.mark.parametrize(
    ("validation_data", "pattern"),
    [
        (lambda x, y: (x,), r"\(x, y\), \(x, y, sample_weight\).*a tuple of 1 items"),
        (lambda x, y: (x, y, None, None), r"received: a tuple of 4 items"),
        (lambda x, y: (np.ones((8, 4), "float32"), y), r"validation_data: .*expected axis -1.*3"),
        (lambda x, y: (x, np.ones((8, 5), "float32")), r"validation_data: categorical_cross"),
    ],
    ids=["1-tuple", "4-tuple", "feature_size", "target_shape"],
)
def test_bad_validation_data_fails_before_the_first_epoch(validation_data, pattern):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    x = np.ones((8, 3), "float32")
    y = np.eye(2, dtype="float32")[np.zeros(8, int)]
    before = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        model.fit(x, y, validation_data=validation_data(x, y), epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert model.optimizer.iterations == 0


def test_complex_data_is_refused_wherever_it_enters_a_real_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    before = model.get_weights()
    for data in (np.ones((4, 3), np.complex64), torch.ones((4, 3), dtype=torch.complex64)):
        with pytest.raises(TypeError, match="real numbers.*complex64"):
            model.predict(data, verbose=0)
        with pytest.raises(TypeError, match="real numbers.*complex64"):
            model.fit(data, np.ones((4, 2), "float32"), verbose=0)
        with pytest.raises(TypeError, match="real .*complex64"):
            model(data)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_sequential_takes_its_one_input_in_a_list_as_keras_does():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = np.ones((4, 3), "float32")
    expected = model(x)
    for wrapped in ([x], (x,), [torch.from_numpy(x)]):
        torch.testing.assert_close(model(wrapped), expected)
    with pytest.raises(ValueError, match="expects 1 input.*a list of 2 items"):
        model([x, x])


def test_a_later_fit_on_other_sequence_lengths_checks_its_targets_against_them():
    model = keras.Sequential(
        [keras.Input((None, 3)), keras.layers.LSTM(4, return_sequences=True), keras.layers.Dense(2)]
    )
    model.compile("sgd", "mse")
    rng = np.random.default_rng(2)
    model.fit(rng.random((8, 10, 3)), rng.random((8, 10, 2)), verbose=0)
    history = model.fit(rng.random((8, 12, 3)), rng.random((8, 12, 2)), verbose=0).history
    assert np.isfinite(history["loss"][0])
    assert np.isfinite(model.evaluate(rng.random((8, 7, 3)), rng.random((8, 7, 2)), verbose=0))
    with pytest.raises(ValueError, match=r"y_true of shape \(8, 7, 2\).*\(None, 6, 2\)"):
        model.fit(rng.random((8, 6, 3)), rng.random((8, 7, 2)), verbose=0)
