"""Tests for ``utils.plot_history``: one panel per metric, its val_ curve, a saved file."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

import torchseq
from torchseq.callbacks import History
from torchseq.utils.history_plot import plot_history


def recorded(logs_per_epoch: list[dict[str, float]]) -> History:
    history = History()
    history.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        history.on_epoch_end(epoch, logs)
    return history


LOGS = [
    {"loss": 1.0, "val_loss": 1.2, "accuracy": 0.5, "val_accuracy": 0.4, "learning_rate": 0.1},
    {"loss": 0.6, "val_loss": 0.9, "accuracy": 0.7, "val_accuracy": 0.6, "learning_rate": 0.05},
    {"loss": 0.4, "val_loss": 0.8, "accuracy": 0.8, "val_accuracy": 0.7, "learning_rate": 0.01},
]


def curves(axes) -> dict[str, tuple[list[float], list[float]]]:
    return {
        line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
        for line in axes.get_lines()
    }


def test_one_panel_per_metric_with_its_validation_curve():
    figure = plot_history(recorded(LOGS))
    assert plt.fignum_exists(figure.number)  # on pyplot, so plt.show() shows it
    plt.close(figure)
    assert isinstance(figure, Figure)
    titles = [axes.get_title() for axes in figure.axes]
    assert titles == ["loss", "accuracy", "learning_rate"]  # the loss first
    loss, accuracy, learning_rate = (curves(axes) for axes in figure.axes)
    assert loss == {"loss": ([1, 2, 3], [1.0, 0.6, 0.4]), "val_loss": ([1, 2, 3], [1.2, 0.9, 0.8])}
    assert accuracy["val_accuracy"] == ([1, 2, 3], [0.4, 0.6, 0.7])
    assert list(learning_rate) == ["learning_rate"]
    assert figure.axes[0].get_xlabel() == "Epoch"


def test_chosen_metrics_from_a_history_dict(tmp_path):
    path = tmp_path / "curves.png"
    figure = plot_history(recorded(LOGS).history, metrics=["accuracy"], to_file=path)
    assert [axes.get_title() for axes in figure.axes] == ["accuracy"]
    assert not plt.get_fignums()  # saved off-screen: nothing left open in pyplot
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_short_fit_is_plotted_and_saved(tmp_path):
    torchseq.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = torchseq.Sequential(
        [torchseq.Input((4,)), torchseq.layers.Dense(2, activation="softmax")]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    figure = plot_history(history, to_file=tmp_path / "history.svg")
    loss = curves(figure.axes[0])
    np.testing.assert_allclose(loss["loss"][1], history.history["loss"])
    np.testing.assert_allclose(loss["val_loss"][1], history.history["val_loss"])
    assert b"<svg" in (tmp_path / "history.svg").read_bytes()


def test_unknown_metric_lists_the_recorded_names():
    with pytest.raises(ValueError, match=r"\['auc'\] were not recorded; recorded names: \['acc"):
        plot_history(recorded(LOGS), metrics=["auc"])


def test_wrong_kind_and_empty_history_are_refused():
    with pytest.raises(TypeError, match="received: list"):
        plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="empty history"):
        plot_history(History())


def test_missing_matplotlib_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"`pip install matplotlib`\) for `plot_history`"):
        plot_history(recorded(LOGS))
