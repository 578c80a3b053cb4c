"""``CSVLogger``: one CSV row per epoch."""

from __future__ import annotations

import collections.abc
import csv
import os
from typing import Any, TextIO

import numpy as np

from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.logs import pythonify_logs

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Streams epoch results to a CSV file, byte for byte as ``keras.callbacks.CSVLogger``.

    The columns are ``epoch`` then the first epoch's log names, sorted. When the first
    epoch has no validation values, ``val_<name>`` columns are added for every name (so a
    later validation fits in) and hold ``NA`` until then. Rows end with ``\\r\\n``, the
    ``csv`` module's Excel dialect, as in Keras. Values are written as Python floats
    (``repr``), arrays as ``"[1, 2]"``.

    Args:
        filename: Path of the CSV file.
        separator: Field separator. Defaults to ``","``.
        append: Append to an existing file (no second header) instead of overwriting it.
            Defaults to ``False``.

    Raises:
        IsADirectoryError: At the start of ``fit``, if ``filename`` is an existing folder.

    Example:
        >>> logger = CSVLogger("training.csv")  # doctest: +SKIP
        >>> model.fit(x, y, callbacks=[logger])  # doctest: +SKIP
    """

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(
                f"CSVLogger: filename must be a str or os.PathLike, received: {filename!r} "
                f"of type {type(filename).__name__}"
            )
        if not isinstance(separator, str):
            raise TypeError(
                "CSVLogger: separator must be a single character, received: "
                f"separator={separator!r} of type {type(separator).__name__}"
            )
        if len(separator) != 1:
            raise ValueError(
                f"CSVLogger: separator must be a single character, received: separator={separator!r}"
            )
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: TextIO | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if os.path.isdir(self.filename):
            raise IsADirectoryError(
                "CSVLogger: filename must be the path of a file to write, received an existing "
                f"directory: {self.filename!r}"
            )
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8", newline="") as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            mode = "w"
        self._close()
        self.csv_file = open(self.filename, mode, encoding="utf-8", newline="")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        values = pythonify_logs(logs)
        if self.keys is None:
            self.keys = sorted(values)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            dialect = type("_Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect=dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(values.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value
