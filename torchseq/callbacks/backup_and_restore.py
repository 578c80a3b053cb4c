"""``BackupAndRestore``: resume an interrupted ``fit`` from its last backup."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
from typing import Any

import torch

from torchseq.callbacks._files import atomic_write
from torchseq.callbacks.callback import Callback, Logs

__all__ = ["BackupAndRestore"]

_STATE_FILE = "latest.pt"
_METADATA_FILE = "training_metadata.json"
# What a damaged or truncated backup raises when read.
_READ_ERRORS = (OSError, RuntimeError, EOFError, pickle.UnpicklingError, json.JSONDecodeError)


class BackupAndRestore(Callback):
    """Backs up the training state and restores it when ``fit`` starts again.

    As ``keras.callbacks.BackupAndRestore``: at each epoch end (or every ``save_freq``
    batches) the model's and the optimizer's state dicts go to ``backup_dir/latest.pt``
    (``torch.save``, read back with ``weights_only=True``) and the epoch reached to
    ``backup_dir/training_metadata.json``, each written atomically. At the start of the next
    ``fit`` they are loaded and ``model._initial_epoch`` is set to the epoch to resume
    from (the trainer starts there). A ``fit`` that ends normally deletes ``backup_dir``;
    one that ends with an exception (a ``KeyboardInterrupt`` included) keeps it.

    Args:
        backup_dir: Folder for the backup, used by nothing else.
        save_freq: ``"epoch"``, or a number of training batches between backups.
            Defaults to ``"epoch"``.
        double_checkpoint: Keep the previous backup too (``*.bkp``) and fall back on it if
            the latest cannot be read. Defaults to ``False``.
        delete_checkpoint: Delete ``backup_dir`` when training ends normally. Defaults to
            ``True``.

    Raises:
        ValueError: For an empty ``backup_dir`` or a bad ``save_freq``; at the start of
            ``fit``, for a backup that cannot be read (and no readable previous one).
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
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0
        ):
            raise ValueError(
                "BackupAndRestore: save_freq must be 'epoch' or a positive number of batches, "
                f"received: save_freq={save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._state_path = os.path.join(self.backup_dir, _STATE_FILE)
        self._metadata_path = os.path.join(self.backup_dir, _METADATA_FILE)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        try:
            self._load()
        except _READ_ERRORS as error:
            if not (self.double_checkpoint and os.path.exists(f"{self._state_path}.bkp")):
                raise ValueError(
                    f"BackupAndRestore could not read the backup in {self.backup_dir!r}: it is "
                    "damaged or was not written by BackupAndRestore. Delete that folder to "
                    "start training afresh."
                ) from error
            for path in (self._state_path, self._metadata_path):
                if os.path.exists(f"{path}.bkp"):
                    shutil.copyfile(f"{path}.bkp", path)
                elif os.path.exists(path):
                    os.remove(path)
            self._load()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save()

    def on_train_end(self, logs: Logs | None = None) -> None:
        # Called from the trainer's exception handler, the backup is what resumes the run.
        interrupted = sys.exc_info()[0] is not None
        if self.delete_checkpoint and not interrupted and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)

    def _listens_to(self, hook: str) -> bool:
        if hook == "on_train_batch_end" and type(self).on_train_batch_end is (
            BackupAndRestore.on_train_batch_end
        ):
            return self.save_freq != "epoch"
        return True

    def _load(self) -> None:
        if getattr(self.model, "built", True) is False:
            raise ValueError(
                "To use the BackupAndRestore callback, the model must be built before fit(); "
                f"model {getattr(self.model, 'name', self.model)!r} is not. Build it by calling "
                "it on a batch of data."
            )
        if os.path.exists(self._state_path):
            state = torch.load(self._state_path, map_location="cpu", weights_only=True)
            self.model.load_state_dict(state["model"])
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and state.get("optimizer") is not None:
                optimizer.load_state_dict(state["optimizer"])
        if os.path.exists(self._metadata_path):
            with open(self._metadata_path, encoding="utf-8") as file:
                metadata = json.load(file)
            self.model._initial_epoch = metadata["epoch"]

    def _save(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._state_path, self._metadata_path):
                if os.path.exists(path):
                    shutil.copyfile(path, f"{path}.bkp")
        optimizer = getattr(self.model, "optimizer", None)
        state: dict[str, Any] = {
            "model": self.model.state_dict(),
            "optimizer": None if optimizer is None else optimizer.state_dict(),
        }
        atomic_write(self._state_path, lambda path: torch.save(state, path))
        metadata = json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen})
        atomic_write(self._metadata_path, lambda path: _write_text(path, metadata))

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


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)
