"""Ctrl-C during fit: held while a step updates the weights, at once anywhere else, and
left to the caller when SIGINT is ignored or has a handler of theirs."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import torch

import torchseq
from torchseq import callbacks

BATCHES = 4  # 32 samples, batch 8


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


class InterruptInStep(torchseq.layers.Layer):
    """Sends Ctrl-C from inside the forward pass of the training step ``at``."""

    def __init__(self, at: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.at, self.calls = at, 0

    def call(self, inputs, training=None):
        if training:
            self.calls += 1
            if self.calls == self.at + 1:
                ctrl_c()
        return inputs


def model(*extra):
    network = torchseq.Sequential(
        [torchseq.Input((3,)), *extra, torchseq.layers.Dense(2)]
    )
    network.compile("sgd", "mse")
    return network


def data():
    return np.ones((32, 3), "float32"), np.zeros((32, 2), "float32")


@pytest.fixture(autouse=True)
def handler_restored():
    before = signal.getsignal(signal.SIGINT)
    yield before
    assert signal.getsignal(signal.SIGINT) is before  # fit put back what it found
    signal.signal(signal.SIGINT, before)


def test_during_a_step_the_step_finishes_then_fit_stops():
    network = model(InterruptInStep(at=1))
    with pytest.raises(KeyboardInterrupt):
        network.fit(*data(), batch_size=8, epochs=2, verbose=0)
    assert int(network.optimizer.iterations) == 2  # steps 0 and 1 updated; no third


def test_between_steps_it_interrupts_at_once():
    network = model()
    seen = []

    class CtrlC(callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(batch)
            if batch == 2:
                ctrl_c()

    with pytest.raises(KeyboardInterrupt):
        network.fit(*data(), batch_size=8, epochs=2, verbose=0, callbacks=[CtrlC()])
    assert seen == [0, 1, 2] and int(network.optimizer.iterations) == 2


def test_in_the_last_epochs_validation_and_on_epoch_end_it_interrupts():
    for hook in ("on_test_batch_begin", "on_epoch_end"):
        network = model()
        ended = []

        class CtrlC(callbacks.Callback):
            def on_test_batch_end(self, batch, logs=None, ended=ended):
                ended.append(batch)

        setattr(CtrlC, hook, lambda self, *args, **kwargs: ctrl_c())
        with pytest.raises(KeyboardInterrupt):
            network.fit(
                *data(), batch_size=8, epochs=1, validation_data=data(), verbose=0,
                callbacks=[CtrlC()],
            )
        if hook == "on_test_batch_begin":
            assert ended == []  # the first validation batch never finished
        assert int(network.optimizer.iterations) == BATCHES


def test_while_a_generator_blocks_it_interrupts_at_once():
    def batches():
        x, y = data()
        yield x[:8], y[:8]
        ctrl_c()
        time.sleep(60)  # a slow source: Ctrl-C must not wait for it
        yield x[8:16], y[8:16]

    network = model()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        network.fit(batches(), steps_per_epoch=2, epochs=1, verbose=0)
    assert time.monotonic() - start < 30
    assert int(network.optimizer.iterations) == 1


def test_an_ignored_sigint_stays_ignored():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        network = model(InterruptInStep(at=1))
        history = network.fit(*data(), batch_size=8, epochs=2, verbose=0)
        assert len(history.history["loss"]) == 2
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def test_a_handler_of_yours_is_left_in_charge():
    received = []

    def mine(signum, frame):
        received.append(signum)

    signal.signal(signal.SIGINT, mine)
    try:
        network = model(InterruptInStep(at=1))
        history = network.fit(*data(), batch_size=8, epochs=2, verbose=0)
        assert received == [signal.SIGINT] and len(history.history["loss"]) == 2
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    assert torch.isfinite(network.layers[-1].kernel).all()


def test_a_generator_that_runs_out_warns_and_stops_without_an_empty_epoch(tmp_path):
    def three_batches():
        x, y = data()
        for start in (0, 8, 16):
            yield x[start : start + 8], y[start : start + 8]

    network = model()
    best = tmp_path / "best.keras"
    checkpoint = callbacks.ModelCheckpoint(best, monitor="loss", save_best_only=True)
    with pytest.warns(UserWarning, match=r"ran out of data.*ran 1 of 2 steps"):
        history = network.fit(
            three_batches(), steps_per_epoch=2, epochs=4, verbose=0, callbacks=[checkpoint]
        )
    assert len(history.history["loss"]) == 2  # the partial epoch is logged, then it stops
    assert all(loss > 0 for loss in history.history["loss"])  # never an empty epoch's 0.0
    assert int(network.optimizer.iterations) == 3 and best.exists()

    def two_batches():
        x, y = data()
        yield x[:8], y[:8]
        yield x[8:16], y[8:16]

    with pytest.warns(UserWarning, match=r"ran 0 of 2 steps"):
        history = model().fit(two_batches(), steps_per_epoch=2, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1  # the used-up epoch logs nothing
