"""TensorBoard: Keras's summary names, folders and steps, written through a SummaryWriter.

Most tests use a recording stand-in for ``torch.utils.tensorboard.SummaryWriter``; one
writes real event files when the ``tensorboard`` package is installed.
"""

from __future__ import annotations

import os
import sys
from typing import ClassVar

import pytest
import torch

from tests.callbacks.fakes import FakeModel
from torchseq.callbacks import CallbackList, TensorBoard
from torchseq.callbacks import tensorboard as tensorboard_module


class RecordingWriter:
    """Records ``(folder, method, tag, value, step)`` in a journal shared by all writers."""

    journal: ClassVar[list[tuple]] = []

    def __init__(self, log_dir):
        self.folder = os.path.basename(log_dir)
        self.closed = False

    def add_scalar(self, tag, value, step):
        self.journal.append((self.folder, "scalar", tag, value, step))

    def add_histogram(self, tag, values, step):
        self.journal.append((self.folder, "histogram", tag, tuple(values.shape), step))

    def add_images(self, tag, images, step, dataformats):
        self.journal.append((self.folder, "images", tag, tuple(images.shape), step))

    def add_text(self, tag, text, step):
        self.journal.append((self.folder, "text", tag, text, step))

    def flush(self):
        pass

    def close(self):
        self.closed = True


@pytest.fixture
def journal(monkeypatch):
    RecordingWriter.journal = []
    monkeypatch.setattr(tensorboard_module, "_import_summary_writer", lambda: RecordingWriter)
    return RecordingWriter.journal


def fit(callback, *, epochs=2, steps=3, model=None):
    model = model or FakeModel(learning_rate=0.5)
    callbacks = CallbackList([callback], model=model, verbose=0, epochs=epochs, steps=steps)
    callbacks.on_train_begin()
    batch_hooks = callbacks.needs_batch_hooks("train")
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            if batch_hooks:
                callbacks.on_train_batch_begin(step)
                callbacks.on_train_batch_end(step, {"loss": torch.tensor(float(step))})
        callbacks.on_epoch_end(epoch, {"loss": torch.tensor(1.0), "val_loss": torch.tensor(2.0)})
    callbacks.on_train_end()
    return batch_hooks


def test_epoch_scalars_go_where_keras_puts_them(journal, tmp_path):
    batch_hooks = fit(TensorBoard(tmp_path))
    assert batch_hooks is False, "epoch-level logging needs no batch hooks"
    assert journal == [
        ("train", "scalar", "epoch_loss", 1.0, 0),
        ("train", "scalar", "epoch_learning_rate", 0.5, 0),
        ("validation", "scalar", "epoch_loss", 2.0, 0),
        ("train", "scalar", "epoch_loss", 1.0, 1),
        ("train", "scalar", "epoch_learning_rate", 0.5, 1),
        ("validation", "scalar", "epoch_loss", 2.0, 1),
    ]


def test_batch_scalars_every_update_freq_batches(journal, tmp_path):
    assert fit(TensorBoard(tmp_path, update_freq=2), epochs=1, steps=5) is True
    batch = [entry for entry in journal if entry[2].startswith("batch_")]
    assert batch == [
        ("train", "scalar", "batch_loss", 1.0, 2),
        ("train", "scalar", "batch_loss", 3.0, 4),
    ]


def test_histograms_and_images(journal, tmp_path, monkeypatch):
    monkeypatch.setattr(tensorboard_module, "_require_pillow", lambda: None)
    # As in Keras, a one-element bias squeezes to a scalar, which makes no image.
    fit(TensorBoard(tmp_path, histogram_freq=2, write_images=True), epochs=3, steps=1)
    pictures = [entry for entry in journal if entry[1] != "scalar"]
    assert pictures == [
        ("train", "histogram", "linear/weight/histogram", (1, 2), 0),
        ("train", "images", "linear/weight/image", (1, 2, 1, 1), 0),
        ("train", "histogram", "linear/bias/histogram", (1,), 0),
        ("train", "histogram", "linear/weight/histogram", (1, 2), 2),
        ("train", "images", "linear/weight/image", (1, 2, 1, 1), 2),
        ("train", "histogram", "linear/bias/histogram", (1,), 2),
    ]


def test_steps_per_second(journal, tmp_path):
    fit(TensorBoard(tmp_path, write_steps_per_second=True), epochs=1, steps=2)
    tags = [entry[2] for entry in journal]
    assert tags.count("batch_steps_per_second") == 2 and "epoch_steps_per_second" in tags


def test_model_config_as_text_when_the_model_has_to_json(journal, tmp_path):
    model = FakeModel()
    model.to_json = lambda: '{"class_name": "Sequential"}'
    TensorBoard(tmp_path).set_model(model)
    assert journal == [("train", "text", "keras", '{"class_name": "Sequential"}', 0)]


def test_evaluation_against_optimizer_iterations(journal, tmp_path):
    model = FakeModel()
    model.optimizer.iterations = torch.tensor(12)
    callbacks = CallbackList([TensorBoard(tmp_path)], model=model)
    callbacks.on_test_begin()
    callbacks.on_test_end({"loss": torch.tensor(0.25)})
    assert journal == [("validation", "scalar", "evaluation_loss_vs_iterations", 0.25, 12)]


def test_writers_are_closed_at_the_end(journal, tmp_path):
    callback = TensorBoard(tmp_path)
    fit(callback, epochs=1, steps=1)
    assert callback._writers == {}


def test_missing_tensorboard_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        TensorBoard()


def test_images_without_pillow_say_how_to_install_it(journal, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        TensorBoard(write_images=True)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"update_freq": "step"}, "update_freq must be 'epoch', 'batch'"),
        ({"histogram_freq": -1}, "histogram_freq must be a non-negative integer"),
        ({"profile_batch": 2}, "Profiling is not yet available"),
        ({"embeddings_freq": 1}, "embedding projector is not supported"),
    ],
)
def test_bad_arguments(journal, kwargs, message):
    with pytest.raises(ValueError, match=message):
        TensorBoard(**kwargs)


def test_real_event_files(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    fit(TensorBoard(tmp_path, histogram_freq=1), epochs=2, steps=1)
    train = EventAccumulator(str(tmp_path / "train"))
    train.Reload()
    assert [event.value for event in train.Scalars("epoch_loss")] == [1.0, 1.0]
    assert "linear/weight/histogram" in train.Tags()["histograms"]
    validation = EventAccumulator(str(tmp_path / "validation"))
    validation.Reload()
    assert [event.step for event in validation.Scalars("epoch_loss")] == [0, 1]
