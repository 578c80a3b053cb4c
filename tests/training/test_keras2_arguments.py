"""Keras 2's training spellings (seed 004) and compile without a loss."""

from __future__ import annotations

import os

import numpy as np
import pytest

import torchseq as keras

os.environ.setdefault("KERAS_BACKEND", "torch")

X = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(16, 1)).astype("float32")
LOADER = {"max_queue_size": 4, "workers": 2, "use_multiprocessing": False}


def compiled_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def batches(count=4):
    return ((X[:8], Y[:8]) for _ in range(count))


def test_fit_evaluate_predict_accept_the_loader_options():
    model = compiled_model()
    model.fit(X, Y, verbose=0, **LOADER)
    assert np.isfinite(model.evaluate(X, Y, verbose=0, **LOADER))
    assert model.predict(X, verbose=0, **LOADER).shape == (16, 1)


def test_generator_methods_take_seed_004_signatures_positionally():
    model = compiled_model()
    history = model.fit_generator(batches(), 2, 2, 0, None, None, None, None, 4, 2, False)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate_generator(batches(), 2, 4, 2, False))
    assert model.predict_generator((x for x, _ in batches()), 2, 4, 2, False).shape == (16, 1)


def test_generator_methods_are_silent_by_default(capsys):
    model = compiled_model()
    model.evaluate_generator(batches(), steps=1)
    model.predict_generator((x for x, _ in batches()), steps=1)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("argument", "value"),
    [("max_queue_size", 2.5), ("workers", "2"), ("workers", True), ("use_multiprocessing", 1)],
)
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict", "fit_generator"])
def test_loader_options_of_the_wrong_type_are_refused(method, argument, value):
    model = compiled_model()
    data = (batches(),) if method == "fit_generator" else (X, Y) if method != "predict" else (X,)
    with pytest.raises(TypeError, match=f"{argument} must be"):
        getattr(model, method)(*data, verbose=0, **{argument: value})


@pytest.mark.parametrize(("argument", "value"), [("max_queue_size", 0), ("workers", -1)])
def test_loader_options_out_of_range_are_refused(argument, value):
    with pytest.raises(ValueError, match=f"{argument} must be at least"):
        compiled_model().fit(X, Y, verbose=0, **{argument: value})


class ActivityPenalty(keras.layers.Layer):
    def call(self, inputs):
        self.add_loss(keras.ops.mean(keras.ops.square(inputs)))
        return inputs


def test_compile_without_a_loss_minimises_the_added_losses_as_keras():
    keras3 = pytest.importorskip("keras")
    models = []
    for lib, penalty in ((keras3, None), (keras, ActivityPenalty)):
        if penalty is None:

            class KerasPenalty(keras3.layers.Layer):
                def call(self, inputs):
                    self.add_loss(keras3.ops.mean(keras3.ops.square(inputs)))
                    return inputs

            penalty = KerasPenalty
        inputs = lib.Input((3,))
        model = lib.Model(inputs, penalty()(lib.layers.Dense(2)(inputs)))
        model.compile(lib.optimizers.SGD(0.1))
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    theirs, ours = (
        m.fit(X, epochs=2, batch_size=8, shuffle=False, verbose=0).history for m in models
    )
    assert sorted(ours) == sorted(theirs) == ["loss"]
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    for mine, reference in zip(models[1].get_weights(), models[0].get_weights()):
        np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-7)


def test_fit_without_any_loss_fails_clearly_before_training():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="nothing to minimise.*compile\\(\\) was given no loss"):
        model.fit(X, Y, verbose=0)
    for weight, original in zip(model.get_weights(), before):
        np.testing.assert_array_equal(weight, original)


def test_evaluate_without_a_loss_still_reports_metrics():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", metrics=["mae"])
    assert set(model.evaluate(X, Y, verbose=0, return_dict=True)) == {"mae"}
