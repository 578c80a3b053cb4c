"""``BackupAndRestore``: resume an interrupted ``fit`` from its last backup."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from typing import Any

import h5py
import torch

from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.file_io import atomic_write
from torchseq.utils.integers import is_int

__all__ = ["BackupAndRestore"]

_BACKUP_FILE = "latest.weights.h5"
_PREVIOUS_SUFFIX = ".bkp"
# The root attribute of the backup that holds the training counters, as the JSON text
# Keras writes to its separate ``training_metadata.json``.
_COUNTERS_ATTR = "training_metadata"
_COUNTER_NAMES = ("epoch", "batch")


class _UnreadableBackup(Exception):
    """The backup file is damaged, truncated or was not written by ``BackupAndRestore``."""


class BackupAndRestore(Callback):
    """Backs up the training state and restores it when ``fit`` starts again.

    As ``keras.callbacks.BackupAndRestore``: at each epoch end (or every ``save_freq``
    batches) the model's weights, its optimizer's variables and the training counters (the
    epoch and batch reached) go to ``backup_dir/latest.weights.h5``. At the start of the
    next ``fit`` they are restored and ``model._initial_epoch`` is set to the epoch to
    resume from (the trainer starts there). A ``fit`` that ends normally deletes
    ``backup_dir``; one that ends with an exception (a ``KeyboardInterrupt`` included)
    keeps it. "Normally" means that the last epoch ``fit`` was asked for has ended, or
    that ``model.stop_training`` was set (``EarlyStopping``, ``TerminateOnNaN``): the
    callback follows the epochs itself rather than asking whether an exception is being
    handled, so a ``fit`` called inside an ``except`` block still deletes its backup.

    The file is a Keras weights file (``keras.Model.load_weights`` reads it) whose root
    attribute ``training_metadata`` holds the counters. Unlike Keras, which writes the
    counters to a second file, weights, optimizer state and counters are one file written
    atomically: a process killed at any moment leaves either the new backup or the
    previous one, never the weights of one epoch with the counter of another.

    Only a torchseq optimizer's state is backed up; a ``torch.optim`` optimizer's state has
    no place in Keras's layout, and restarts empty after a restore (a warning says so).

    Args:
        backup_dir: Folder for the backup, used by nothing else.
        save_freq: ``"epoch"``, or a number of training batches between backups.
            Defaults to ``"epoch"``.
        double_checkpoint: Keep the previous backup too (``latest.weights.h5.bkp``) and
            fall back on it if the latest cannot be read. Defaults to ``False``.
        delete_checkpoint: Delete ``backup_dir`` when training ends normally. Defaults to
            ``True``.

    Raises:
        ValueError: For an empty ``backup_dir`` or a bad ``save_freq``; at the start of
            ``fit``, for a backup that cannot be read (and no readable previous one), or
            one written by a model of another architecture (naming the weight that does
            not fit) or with another optimizer (giving both numbers of variables). Nothing
            is restored then.

    Example:
        >>> backup = BackupAndRestore("/tmp/backup")
        >>> # model.fit(x, y, epochs=10, callbacks=[backup])  # interrupted at epoch 4
        >>> # model.fit(x, y, epochs=10, callbacks=[backup])  # resumes at epoch 4
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike[str],
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"BackupAndRestore: backup_dir must be a folder path, received: {backup_dir!r}"
            )
        if save_freq != "epoch" and (not is_int(save_freq) or save_freq <= 0):
            raise ValueError(
                "BackupAndRestore: save_freq must be 'epoch' or a positive number of batches, "
                f"received: save_freq={save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._backup_path = os.path.join(self.backup_dir, _BACKUP_FILE)
        self._previous_path = self._backup_path + _PREVIOUS_SUFFIX
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._training_completed = False
        self._warned_torch_optimizer = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._check_built()
        self._training_completed = False
        if not os.path.exists(self._backup_path):
            return
        try:
            self._restore(self._backup_path)
        except _UnreadableBackup as error:
            if not (self.double_checkpoint and os.path.exists(self._previous_path)):
                raise ValueError(
                    f"BackupAndRestore could not read the backup in {self.backup_dir!r}: "
                    f"{error}. Delete that folder to start training afresh."
                ) from error
            try:
                self._restore(self._previous_path)
            except _UnreadableBackup as previous_error:
                raise ValueError(
                    f"BackupAndRestore could not read the backup in {self.backup_dir!r} "
                    f"({error}) nor the previous one ({previous_error}). Delete that folder "
                    "to start training afresh."
                ) from previous_error
            # The next backup copies the latest to the previous one: make it a good one.
            _copy_atomically(self._previous_path, self._backup_path)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch + 1
        epochs = (self.params or {}).get("epochs")
        self._training_completed = epochs is not None and epoch + 1 >= epochs
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save()

    def on_train_end(self, logs: Logs | None = None) -> None:
        # Called from the trainer's `finally:` after an exception too: then the backup is
        # what resumes the run, and the last epoch asked for has not ended.
        completed = self._training_completed or bool(getattr(self.model, "stop_training", False))
        if self.delete_checkpoint and completed and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    def _listens_to(self, hook: str) -> bool:
        if hook == "on_train_batch_end" and type(self).on_train_batch_end is (
            BackupAndRestore.on_train_batch_end
        ):
            return self.save_freq != "epoch"
        return True

    # ------------------------------------------------------------------ restoring

    def _check_built(self) -> None:
        if getattr(self.model, "built", True) is False:
            raise ValueError(
                "To use the BackupAndRestore callback, the model must be built before fit(); "
                f"model {getattr(self.model, 'name', self.model)!r} is not. Build it by calling "
                "it on a batch of data."
            )

    def _restore(self, path: str) -> None:
        """Restore weights, optimizer and counters from ``path``, all or nothing.

        Raises:
            _UnreadableBackup: The file is damaged or its counters are missing or bad.
            ValueError: The file's weights or optimizer variables do not fit the model.
        """
        from torchseq.saving.weights_file import read_weights  # saving sits above callbacks

        try:
            root = h5py.File(path, "r")
        except OSError as error:
            raise _UnreadableBackup(f"{path!r} is not a readable HDF5 file ({error})") from error
        with root:
            counters = _read_counters(root, path)
            _read_every_dataset(root, path)
            _build_optimizer(self.model)
            _check_optimizer_fits(root, self.model, path)
            read_weights(root, self.model, source=path)
        self.model._initial_epoch = counters["epoch"]

    # ------------------------------------------------------------------ saving

    def _save(self) -> None:
        from torchseq.saving.weights_file import write_weights  # saving sits above callbacks

        self._warn_if_state_is_lost()
        if self.double_checkpoint and os.path.exists(self._backup_path):
            _copy_atomically(self._backup_path, self._previous_path)
        counters = json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen})

        def write(path: str) -> None:
            with h5py.File(path, "w") as root:
                write_weights(root, self.model)
                root.attrs[_COUNTERS_ATTR] = counters

        atomic_write(self._backup_path, write)

    def _warn_if_state_is_lost(self) -> None:
        from torchseq.optimizers import Optimizer

        optimizer = getattr(self.model, "optimizer", None)
        if (
            self._warned_torch_optimizer
            or not isinstance(optimizer, torch.optim.Optimizer)
            or isinstance(optimizer, Optimizer)
        ):
            return
        self._warned_torch_optimizer = True
        warnings.warn(
            f"BackupAndRestore: the model's optimizer is a {type(optimizer).__name__} from "
            "torch.optim, whose state has no place in Keras's weights file; the backup holds "
            "the weights and the epoch, and a resumed fit starts the optimizer afresh. Compile "
            "with a torchseq optimizer (e.g. 'adam') to back up its state too.",
            stacklevel=3,
        )

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False


def _build_optimizer(model: Any) -> None:
    """Give an unbuilt torchseq optimizer its weights, so that it has slots to restore."""
    from torchseq.optimizers import Optimizer

    optimizer = getattr(model, "optimizer", None)
    if isinstance(optimizer, Optimizer) and not optimizer.built:
        optimizer.build(list(model.trainable_weights))


def _check_optimizer_fits(root: h5py.File, model: Any, path: str) -> None:
    """Refuse a backup whose optimizer variables are not the model's optimizer's.

    Loading weights elsewhere skips such variables with a warning, as Keras does; a resumed
    run that kept the weights of one optimizer and restarted another would not be the run
    that was interrupted.
    """
    from torchseq.optimizers import Optimizer
    from torchseq.saving.weights_file import optimizer_arrays

    optimizer = getattr(model, "optimizer", None)
    stored = root.get("optimizer/vars")
    if not isinstance(optimizer, Optimizer) or not isinstance(stored, h5py.Group):
        return
    expected = len(optimizer_arrays(model, optimizer))
    if len(stored) != expected and _weight_shapes(root) == sorted(
        tuple(weight.shape) for weight in model.get_weights()
    ):  # otherwise the model differs too, which read_weights reports weight by weight
        raise ValueError(
            f"The backup {path!r} holds {len(stored)} optimizer variables, but the model's "
            f"optimizer {optimizer.name!r} ({type(optimizer).__name__}) has {expected}: the "
            "backup was written with another optimizer. Compile with the optimizer of the "
            "interrupted run, or delete the backup folder to start afresh."
        )


def _weight_shapes(root: h5py.File) -> list[tuple[int, ...]]:
    """The shapes of the model weights in the backup (its optimizer's left out), sorted."""
    shapes = []

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset) and not name.startswith("optimizer/"):
            shapes.append(tuple(obj.shape))

    root.visititems(visit)
    return sorted(shapes)


def _read_counters(root: h5py.File, path: str) -> dict[str, int]:
    """The training counters stored in the backup's root attributes, checked."""
    expected = '{"epoch": <int >= 0>, "batch": <int >= 0>}'
    try:
        text = root.attrs.get(_COUNTERS_ATTR)
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise _UnreadableBackup(f"the counters of {path!r} cannot be read ({error})") from error
    if text is None:
        raise _UnreadableBackup(
            f"{path!r} has no {_COUNTERS_ATTR!r} attribute (expected {expected}); it was not "
            "written by BackupAndRestore"
        )
    try:
        counters = json.loads(text)
    except (TypeError, ValueError) as error:
        raise _UnreadableBackup(
            f"the {_COUNTERS_ATTR!r} attribute of {path!r} is not JSON (expected {expected}, "
            f"received: {text!r})"
        ) from error
    if not isinstance(counters, dict) or sorted(counters) != sorted(_COUNTER_NAMES) or any(
        isinstance(value, bool) or not isinstance(value, int) or value < 0
        for value in counters.values()
    ):
        raise _UnreadableBackup(
            f"the {_COUNTERS_ATTR!r} attribute of {path!r} is not valid (expected {expected}, "
            f"received: {text!r})"
        )
    return counters


def _read_every_dataset(root: h5py.File, path: str) -> None:
    """Read each array once, so that damage is told apart from a model that does not fit."""

    def read(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            _ = obj[()]

    try:
        root.visititems(read)
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as error:
        raise _UnreadableBackup(f"{path!r} is damaged ({error})") from error


def _copy_atomically(source: str, target: str) -> None:
    atomic_write(target, lambda path: shutil.copyfile(source, path))
