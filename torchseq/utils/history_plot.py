"""``utils.plot_history``: the learning curves a ``fit`` recorded, one panel per metric.

Keras 3 has no such function; this draws what Keras tutorials draw by hand from
``history.history``: each metric against the epoch, with its ``val_`` curve beside it.
matplotlib is an optional dependency, imported when a plot is asked for.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["plot_history"]

_MATPLOTLIB_MISSING = (
    "You must install matplotlib (`pip install matplotlib`) for `plot_history` to work."
)


def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    to_file: str | os.PathLike | None = None,
) -> Any:
    """Plot training curves from the ``History`` that ``fit`` returns.

    Each metric gets a panel: its training values and, when recorded, its ``val_``
    values, against the epoch counted from 1 (as the progress bar counts).

    Args:
        history: a ``keras.callbacks.History`` (what ``fit`` returns) or its
            ``history`` dict, ``{name: [value per epoch]}``.
        metrics: names to plot (``"loss"``, ``"accuracy"``, ...), without the ``val_``
            prefix. Defaults to every recorded name that does not start with ``val_``,
            the loss first.
        to_file: if given, the figure is also saved there; the extension picks the
            format (``png``, ``svg``, ``pdf``, ...). Saving draws off-screen (Agg), so it
            works without a display.

    Returns:
        The ``matplotlib.figure.Figure``.

    Example:
        >>> history = model.fit(x, y, validation_split=0.1, epochs=10)
        >>> keras.utils.plot_history(history, to_file="history.png")
    """
    records, epochs = _records_and_epochs(history)
    names = _metric_names(records, metrics)
    figure = _new_figure(len(names), headless=to_file is not None)
    for axes, name in zip(figure.axes, names):
        _draw_metric(axes, epochs, name, records)
    figure.tight_layout()
    if to_file is not None:
        figure.savefig(os.fspath(to_file))
    return figure


def _import_matplotlib() -> Any:
    try:
        return importlib.import_module("matplotlib")
    except ImportError as e:
        raise ImportError(_MATPLOTLIB_MISSING) from e


def _records_and_epochs(history: Any) -> tuple[Mapping[str, Sequence[Any]], list[int]]:
    records = getattr(history, "history", history)
    if not isinstance(records, Mapping):
        raise TypeError(
            "plot_history expected a History (what fit returns) or its `history` dict, "
            f"received: {type(history).__name__}"
        )
    if not records:
        raise ValueError("plot_history received an empty history: no epoch was recorded")
    length = max(len(values) for values in records.values())
    recorded = list(getattr(history, "epoch", None) or range(length))
    if len(recorded) != length:
        recorded = list(range(length))
    return records, [epoch + 1 for epoch in recorded]


def _metric_names(
    records: Mapping[str, Sequence[Any]], metrics: Sequence[str] | None
) -> list[str]:
    available = [name for name in records if not name.startswith("val_")]
    if metrics is None:  # the loss first, then the metrics in recorded (sorted) order
        return sorted(available, key=lambda name: name != "loss") or list(records)
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = [name for name in metrics if name not in records]
    if unknown:
        raise ValueError(
            f"plot_history: metrics {unknown} were not recorded; recorded names: {list(records)}"
        )
    return list(metrics)


def _new_figure(panels: int, *, headless: bool) -> Any:
    matplotlib = _import_matplotlib()
    columns = min(panels, 3)
    rows = math.ceil(panels / columns)
    size = (4.5 * columns, 3.5 * rows)
    if headless:
        # A Figure outside pyplot draws with Agg and is never registered with a GUI.
        from matplotlib.figure import Figure

        figure = Figure(figsize=size)
    else:
        importlib.import_module("matplotlib.pyplot")
        figure = matplotlib.pyplot.figure(figsize=size)
    for index in range(panels):
        figure.add_subplot(rows, columns, index + 1)
    return figure


def _draw_metric(
    axes: Any, epochs: list[int], name: str, records: Mapping[str, Sequence[Any]]
) -> None:
    values = [float(value) for value in records[name]]
    axes.plot(epochs[: len(values)], values, marker="o", markersize=3, label=name)
    validation = f"val_{name}"
    if validation in records:
        val_values = [float(value) for value in records[validation]]
        axes.plot(epochs[: len(val_values)], val_values, marker="o", markersize=3, label=validation)
    axes.set_title(name)
    axes.set_xlabel("Epoch")
    axes.set_ylabel(name)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(True, alpha=0.3)
    axes.legend()
