"""A model used from two threads at once: each call runs in its own thread's mode.

``predict`` in a server thread while ``fit`` trains in another must neither run with
dropout on nor switch the training steps to inference mode, whichever starts first.
"""

from __future__ import annotations

import threading

import numpy as np
import torch

import torchseq
from torchseq import callbacks, layers

X = np.random.default_rng(0).random((32, 4)).astype("float32")
Y = np.random.default_rng(1).random((32, 1)).astype("float32")


class Probe(layers.Layer):
    """Records, per call, the thread and the mode the layer ran in."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs):
        self.seen.append((threading.get_ident(), self.training))
        return inputs


def dropout_model():
    torch.manual_seed(0)
    probe = Probe()
    model = torchseq.Sequential(
        [torchseq.Input((4,)), layers.Dense(16), probe, layers.Dropout(0.5), layers.Dense(1)]
    )
    model.compile("sgd", "mse")
    return model, probe


def modes(probe, thread):
    return [mode for ident, mode in probe.seen if ident == thread]


def all_modes(model):
    return [module.training for module in model.modules()]


def other_threads_modes(probe):
    return [mode for ident, mode in probe.seen if ident != threading.get_ident()]


def test_predict_in_a_thread_between_two_fit_steps_keeps_both_modes():
    model, probe = dropout_model()
    first_batch_done, resume = threading.Event(), threading.Event()

    def batches():
        yield X
        first_batch_done.set()
        resume.wait(timeout=30)  # predict is half done while fit takes a step
        yield X

    worker = threading.Thread(target=lambda: model.predict(batches(), verbose=0))

    def begin(batch, logs):
        if batch == 1:
            worker.start()
            first_batch_done.wait(timeout=30)

    def end(batch, logs):
        if batch == 1:
            resume.set()
            worker.join()

    probe.seen.clear()
    model.fit(
        X, Y, batch_size=8, epochs=1, verbose=0,
        callbacks=[callbacks.LambdaCallback(on_train_batch_begin=begin, on_train_batch_end=end)],
    )

    assert modes(probe, threading.get_ident())[-4:] == [True] * 4  # after the build call
    assert other_threads_modes(probe) == [False, False]
    assert not any(all_modes(model))


def test_fit_while_another_thread_is_inside_predict_keeps_both_modes():
    model, probe = dropout_model()
    waiting, go, second_batch_done = threading.Event(), threading.Event(), threading.Event()

    def batches():
        yield X
        waiting.set()
        go.wait(timeout=30)  # fit starts and steps while predict is half done
        yield X
        second_batch_done.set()

    worker = threading.Thread(target=lambda: model.predict(batches(), verbose=0))

    def begin(batch, logs):
        if batch == 1:
            go.set()
            second_batch_done.wait(timeout=30)

    worker.start()
    waiting.wait(timeout=30)
    probe.seen.clear()
    history = model.fit(
        X, Y, batch_size=8, epochs=1, verbose=0,
        callbacks=[callbacks.LambdaCallback(on_train_batch_begin=begin)],
    )
    worker.join()

    assert modes(probe, threading.get_ident())[-4:] == [True] * 4  # after the build call
    assert other_threads_modes(probe) == [False]
    assert np.isfinite(history.history["loss"][0])
    assert not any(all_modes(model))


def test_a_call_with_training_in_another_thread_leaves_this_threads_mode():
    model, probe = dropout_model()
    model.train()
    probe.seen.clear()  # building the model called it once
    other = []
    worker = threading.Thread(target=lambda: other.append(model(X, training=False)))
    with torchseq.layers.layer.training_mode(model, True):
        worker.start()
        worker.join()
        assert model.training and all(all_modes(model))
        model(X)
    assert modes(probe, threading.get_ident()) == [True]
    assert other_threads_modes(probe) == [False]


class Gate(layers.Layer):
    """In the fitting thread's second training step, runs ``during`` in another thread
    and waits for it: that thread then calls the model in the middle of a step."""

    def __init__(self, during, **kwargs):
        super().__init__(**kwargs)
        self.during, self.calls = during, 0

    def call(self, inputs):
        if self.training and threading.current_thread() is threading.main_thread():
            self.calls += 1
            if self.calls == 2:
                worker = threading.Thread(target=self.during)
                worker.start()
                worker.join()
        return inputs


def test_predict_in_the_middle_of_a_step_trained_from_logits_gets_probabilities():
    predictions = []
    gate = Gate(lambda: predictions.append(model.predict(X, verbose=0)))
    model = torchseq.Sequential(
        [torchseq.Input((4,)), layers.Dense(8), gate, layers.Dense(3, activation="softmax")]
    )
    model.compile("sgd", "categorical_crossentropy")
    labels = np.eye(3, dtype="float32")[np.arange(32) % 3]
    model.fit(X, labels, batch_size=8, epochs=1, verbose=0)
    assert model._compile_state.fused  # the fitting thread's steps took the logits
    assert len(predictions) == 1
    np.testing.assert_allclose(predictions[0].sum(axis=-1), 1.0, rtol=1e-5)
    assert (predictions[0] >= 0).all()


def test_losses_a_call_adds_in_another_thread_stay_out_of_the_training_step():
    def regularized(during):
        torch.manual_seed(0)
        model = torchseq.Sequential(
            [
                torchseq.Input((4,)),
                layers.Dense(8, activity_regularizer="l2"),
                Gate(during),
                layers.Dense(8, activity_regularizer="l2"),
                layers.Dense(1),
            ]
        )
        model.compile("sgd", "mse")
        return model

    quiet = regularized(lambda: None)
    expected = quiet.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    served = []
    busy = regularized(lambda: served.append(busy.predict(X[::-1].copy(), verbose=0)))
    history = busy.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    assert len(served) == 1  # a predict ran in the middle of the second step
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-6)
    for ours, reference in zip(busy.get_weights(), quiet.get_weights()):
        np.testing.assert_allclose(ours, reference, rtol=1e-6)
