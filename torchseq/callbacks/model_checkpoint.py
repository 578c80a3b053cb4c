"""``ModelCheckpoint``: save the model or its weights during ``fit``."""

from __future__ import annotations

import os
import string
import warnings
from typing import Any

import numpy as np

from torchseq.callbacks.callback import Logs
from torchseq.callbacks.monitor_callback import MonitorCallback, logged_names
from torchseq.utils.file_io import atomic_write
from torchseq.utils.integers import is_int
from torchseq.utils.io_utils import print_msg
from torchseq.utils.logs import pythonify_logs

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
    """Saves the model at the end of every epoch (or every ``save_freq`` batches).

    Mirrors ``keras.callbacks.ModelCheckpoint``. ``filepath`` is a ``str.format`` template
    filled with ``epoch`` (1-based, as Keras names files), ``batch`` (1-based, when saving
    by batches) and the logged values: ``"w.{epoch:02d}-{val_loss:.2f}.keras"`` gives
    ``w.03-0.41.keras``.

    The files are Keras 3's own: a ``.keras`` archive (``model.save``, read back with
    ``keras.saving.load_model`` in torchseq or in Keras), or with ``save_weights_only=True``
    a ``.weights.h5`` file (``model.save_weights``, read back with ``model.load_weights``).
    A model without those methods is saved with :func:`torchseq.saving.save_model` /
    :func:`torchseq.saving.save_weights`. Every file is written atomically: to a temporary
    file in the same folder, then moved into place, so an interrupted save leaves the
    previous file as it was. Unlike Keras, the legacy ``.h5`` model format is refused.

    Args:
        filepath: Path template (``str`` or ``os.PathLike``) ending in ``.keras``, or in
            ``.weights.h5`` with ``save_weights_only=True``.
        monitor: Quantity that decides what is "best". Defaults to ``"val_loss"``.
        verbose: ``1`` prints a line per save decision. Defaults to ``0``.
        save_best_only: Save only when ``monitor`` improves on the best value so far.
            Defaults to ``False``.
        save_weights_only: Save the weights (and optimizer variables) only, rather than
            the whole model. Defaults to ``False``.
        mode: ``"auto"``, ``"min"`` or ``"max"``. Defaults to ``"auto"``.
        save_freq: ``"epoch"``, or a number of training batches between saves. Defaults
            to ``"epoch"``.
        initial_value_threshold: The best value to beat at the start, with
            ``save_best_only``. Defaults to ``None``.

    Raises:
        TypeError: If ``filepath`` is not a path.
        ValueError: If ``filepath`` does not end in the suffix that ``save_weights_only``
            requires, or ``save_freq`` is neither ``"epoch"`` nor a positive integer. At
            the start of ``fit``, before the first step: if the template names a field
            that will not be logged (the message lists the fields), or, with
            ``save_best_only``, if ``monitor`` names no logged quantity.
        IsADirectoryError: At the start of ``fit``, if ``filepath`` is an existing folder.

    Example:
        >>> checkpoint = ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)
        >>> # model.fit(x, y, validation_split=0.2, callbacks=[checkpoint])
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: str | int = "epoch",
        initial_value_threshold: float | None = None,
    ) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(
                "ModelCheckpoint: filepath must be a str or os.PathLike path template, "
                f"received: {filepath!r} of type {type(filepath).__name__}"
            )
        if save_freq != "epoch" and (not is_int(save_freq) or save_freq <= 0):
            raise ValueError(
                "ModelCheckpoint: save_freq must be 'epoch' or a positive number of batches, "
                f"received: save_freq={save_freq!r}"
            )
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        _check_suffix(self.filepath, save_weights_only)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen: int | None = None
        self._current_epoch = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        names = logged_names(self.model)
        self._check_filepath(names)
        if self.save_best_only:
            self._check_monitor_is_logged()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _listens_to(self, hook: str) -> bool:
        if hook == "on_train_batch_end" and type(self).on_train_batch_end is (
            ModelCheckpoint.on_train_batch_end
        ):
            return self.save_freq != "epoch"
        return True

    def _check_filepath(self, names: list[str] | None) -> None:
        """Fill the template with stand-in values, so that an unknown field, a bad format
        spec or a path that is a folder fails before the first step rather than after an
        epoch of training.

        Raises:
            ValueError: Naming the unknown field (when the model can tell its log names)
                or the bad format spec, and the available fields.
            IsADirectoryError: If ``filepath`` has no fields and is an existing folder.
        """
        fields = _template_fields(self.filepath)
        if not fields and os.path.isdir(self.filepath):
            raise IsADirectoryError(
                "ModelCheckpoint: filepath must be the path of a file to write, received an "
                f"existing directory: {self.filepath!r}"
            )
        if names is None:  # the logged names are unknown: only epoch and batch are checked
            names = [field for field in fields if field not in ("epoch", "batch")]
        stand_ins: dict[str, Any] = {
            **{name: 0.0 for name in names},
            **{f"val_{name}": 0.0 for name in names},
            "learning_rate": 0.0,  # logged by ReduceLROnPlateau or a scheduler before this
            "epoch": 1,
        }
        if self.save_freq != "epoch":
            stand_ins["batch"] = 1
        try:
            self.filepath.format(**stand_ins)
        except (KeyError, IndexError, ValueError, AttributeError) as error:
            available = ["epoch", *(["batch"] if "batch" in stand_ins else []), *sorted(names)]
            raise ValueError(
                f'ModelCheckpoint: the filepath template "{self.filepath}" cannot be filled '
                f"in ({type(error).__name__}: {error}); the available fields are {available}, "
                "and each logged name also with the prefix 'val_' when fit is given "
                "validation data"
            ) from error

    def _should_save_on_batch(self, batch: int) -> bool:
        """Count batches (a smaller index means a new epoch) and say when ``save_freq`` is due."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: Logs | None) -> None:
        logs = pythonify_logs(logs)
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "Please specify a non-directory filepath for ModelCheckpoint. "
                f"Filepath used is an existing directory: {filepath}"
            )
        atomic_write(filepath, self._write)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _write(self, path: str) -> None:
        # The model's own methods first, as Keras: a subclass may extend them.
        if self.save_weights_only:
            save = getattr(self.model, "save_weights", None)
        else:
            save = getattr(self.model, "save", None)
        if callable(save):
            save(path, overwrite=True)
            return
        from torchseq import saving  # saving sits above the callbacks

        if self.save_weights_only:
            saving.save_weights(self.model, path)
        else:
            saving.save_model(self.model, path)

    def _should_save_model(self, epoch: int, logs: dict[str, Any], filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if isinstance(current, np.ndarray):
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        fields = dict(logs)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        fields["epoch"] = epoch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError) as error:
            raise ValueError(
                f'ModelCheckpoint could not fill in the filepath template "{self.filepath}": '
                f"it names {error}, but the available fields are {sorted(fields)}"
            ) from error


def _template_fields(template: str) -> list[str]:
    """The names of the replacement fields in a ``str.format`` template (``epoch`` for
    ``{epoch:02d}``); an unparsable template has none here and fails when filled in."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return []
    return [field.split(".")[0].split("[")[0] for _, field, _, _ in parsed if field is not None]


def _check_suffix(filepath: str, save_weights_only: bool) -> None:
    required = ".weights.h5" if save_weights_only else ".keras"
    if filepath.endswith(required):
        return
    hint = ""
    if not save_weights_only and filepath.endswith(".weights.h5"):
        hint = " (a .weights.h5 file is written with save_weights_only=True)"
    elif not save_weights_only and filepath.endswith((".h5", ".hdf5")):
        hint = " (Keras 2's .h5 model format is not supported)"
    raise ValueError(
        f"ModelCheckpoint: with save_weights_only={save_weights_only}, filepath must end in "
        f"{required}{hint}, received: filepath={filepath!r}"
    )
