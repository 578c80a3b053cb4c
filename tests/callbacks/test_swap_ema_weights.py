"""SwapEMAWeights: the same model, weights, data and EMA optimizer in Keras and torchseq give
the same validation numbers, the same weights seen by later callbacks, and the same end state."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import torchseq
from torchseq.callbacks import LambdaCallback, SwapEMAWeights

_RNG = np.random.default_rng(7)
_X = _RNG.normal(size=(32, 4)).astype("float32")
_Y = (_X @ _RNG.normal(size=(4, 1)) + 0.5).astype("float32")
_X_VAL, _Y_VAL = _X[:8] * 0.5, _Y[:8]
_INITIAL = [
    _RNG.normal(size=(4, 3)).astype("float32") * 0.5,
    np.zeros(3, "float32"),
    _RNG.normal(size=(3, 1)).astype("float32") * 0.5,
    np.zeros(1, "float32"),
]


def _model(lib):
    model = lib.Sequential(
        [lib.Input((4,)), lib.layers.Dense(3, activation="tanh"), lib.layers.Dense(1)]
    )
    model.set_weights(_INITIAL)
    model.compile(
        optimizer=lib.optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.8),
        loss="mse",
        metrics=["mae"],
    )
    return model


def _fit(lib, swap_on_epoch):
    model = _model(lib)
    seen = []  # the weights a callback listed after SwapEMAWeights sees at each epoch end
    recorder = lib.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(model.get_weights())
    )
    history = model.fit(
        _X,
        _Y,
        batch_size=8,
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=(_X_VAL, _Y_VAL),
        callbacks=[lib.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch), recorder],
    )
    return model, history.history, seen


def _assert_weights_close(ours, theirs):
    assert len(ours) == len(theirs)
    for received, expected in zip(ours, theirs):
        np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_fit_matches_keras(swap_on_epoch):
    their_model, their_history, their_seen = _fit(keras, swap_on_epoch)
    our_model, our_history, our_seen = _fit(torchseq, swap_on_epoch)
    assert sorted(our_history) == sorted(their_history)
    for key, values in their_history.items():
        np.testing.assert_allclose(our_history[key], values, rtol=1e-5, err_msg=key)
    for ours, theirs in zip(our_seen, their_seen, strict=True):
        _assert_weights_close(ours, theirs)
    _assert_weights_close(our_model.get_weights(), their_model.get_weights())


def test_validation_uses_the_averages_and_training_the_raw_weights():
    _, with_swap, _ = _fit(torchseq, swap_on_epoch=False)
    model = _model(torchseq)
    plain = model.fit(
        _X, _Y, batch_size=8, epochs=3, shuffle=False, verbose=0, validation_data=(_X_VAL, _Y_VAL)
    ).history
    np.testing.assert_allclose(with_swap["loss"], plain["loss"], rtol=1e-6)
    assert not np.allclose(with_swap["val_loss"], plain["val_loss"])


def _trained(lib):
    model = _model(lib)
    model.fit(_X, _Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    # fit copied the averages into the weights; one more step makes them differ again.
    model.train_on_batch(_X[:8], _Y[:8])
    return model


def test_evaluate_and_predict_match_keras_and_restore_the_weights():
    theirs, ours = _trained(keras), _trained(torchseq)
    _assert_weights_close(ours.get_weights(), theirs.get_weights())
    before = ours.get_weights()
    their_loss = theirs.evaluate(
        _X_VAL, _Y_VAL, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()]
    )
    our_loss = ours.evaluate(_X_VAL, _Y_VAL, verbose=0, callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(our_loss, their_loss, rtol=1e-5)
    _assert_weights_close(ours.get_weights(), before)
    their_pred = theirs.predict(_X_VAL, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    our_pred = ours.predict(_X_VAL, verbose=0, callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(our_pred, their_pred, rtol=1e-5, atol=1e-6)
    # Keras leaves the averages in the model after predict; torchseq swaps them back.
    _assert_weights_close(ours.get_weights(), before)


def test_the_averages_differ_from_the_weights_during_evaluation():
    model = _trained(torchseq)
    raw = model.get_weights()
    during = []
    probe = LambdaCallback(on_test_begin=lambda logs: during.append(model.get_weights()))
    model.evaluate(_X_VAL, _Y_VAL, verbose=0, callbacks=[SwapEMAWeights(), probe])
    averages = [model.optimizer.state[w]["average"].numpy() for w in model.trainable_weights]
    assert not np.allclose(during[0][0], raw[0])
    _assert_weights_close(during[0], averages)


def test_model_checkpoint_after_it_saves_the_averages_as_keras_does(tmp_path):
    saved = {}
    for lib in (keras, torchseq):
        path = tmp_path / f"{lib.__name__}.weights.h5"
        checkpoint = lib.callbacks.ModelCheckpoint(str(path), save_weights_only=True)
        model = _model(lib)
        model.fit(
            _X,
            _Y,
            batch_size=8,
            epochs=2,
            shuffle=False,
            verbose=0,
            callbacks=[lib.callbacks.SwapEMAWeights(swap_on_epoch=True), checkpoint],
        )
        reader = _model(torchseq)
        reader.load_weights(str(path))
        saved[lib.__name__] = reader.get_weights()
    _assert_weights_close(saved["torchseq"], saved["keras"])
    assert not np.allclose(saved["torchseq"][0], _INITIAL[0])


def test_without_use_ema_it_says_what_is_needed():
    model = torchseq.Sequential([torchseq.Input((4,)), torchseq.layers.Dense(1)])
    model.compile(optimizer=torchseq.optimizers.SGD(), loss="mse")
    with pytest.raises(
        ValueError, match=r"use_ema=True.*received: optimizer SGD with use_ema=False"
    ):
        model.evaluate(_X_VAL, _Y_VAL, verbose=0, callbacks=[SwapEMAWeights()])
