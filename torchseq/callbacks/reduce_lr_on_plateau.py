"""``ReduceLROnPlateau``: lower the learning rate when a monitored quantity stalls."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from torchseq.callbacks._learning_rate import get_learning_rate, set_learning_rate
from torchseq.callbacks.callback import Logs
from torchseq.callbacks.monitor_callback import MonitorCallback, warn_missing
from torchseq.utils.io_utils import print_msg

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` epochs without progress.

    Mirrors ``keras.callbacks.ReduceLROnPlateau``: an improvement is a change of more
    than ``min_delta`` over the best value; after a reduction, ``cooldown`` epochs pass
    before the wait count runs again; the rate never goes below ``min_lr``. It reads and
    sets ``model.optimizer.learning_rate`` (a plain ``torch.optim.Optimizer``: the ``lr``
    of its parameter groups), and adds the current rate to the epoch's logs as
    ``learning_rate``, so ``History`` records it.

    Args:
        monitor: Quantity to watch. Defaults to ``"val_loss"``.
        factor: ``new_lr = lr * factor``, below 1. Defaults to ``0.1``.
        patience: Epochs without improvement before reducing. Defaults to ``10``.
        verbose: ``1`` prints each reduction. Defaults to ``0``.
        mode: ``"auto"``, ``"min"`` or ``"max"``. Defaults to ``"auto"``.
        min_delta: Smallest change that counts as an improvement. Defaults to ``1e-4``.
        cooldown: Epochs to wait after a reduction. Defaults to ``0``.
        min_lr: Lower bound of the learning rate. Defaults to ``0.0``.
        **kwargs: Keras 2's ``epsilon`` (an alias of ``min_delta``, deprecated).

    Raises:
        ValueError: If ``factor >= 1``; at the start of ``fit``, if ``monitor`` names
            no quantity the model logs (Keras warns at each epoch end instead).
        TypeError: For an unknown keyword argument.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if "epsilon" in kwargs:
            warnings.warn(
                "ReduceLROnPlateau: `epsilon` is deprecated (Keras 2); use `min_delta`.",
                DeprecationWarning,
                stacklevel=2,
            )
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(
                f"ReduceLROnPlateau got unexpected keyword arguments {sorted(kwargs)}; the "
                "arguments are monitor, factor, patience, verbose, mode, min_delta, cooldown, "
                "min_lr"
            )
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        if factor <= 0.0:  # Keras takes it; the learning rate would drop to 0 or below
            raise ValueError(
                f"ReduceLROnPlateau: factor must be in (0, 1), received: factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._check_monitor_is_logged()
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = {} if logs is None else logs
        logs["learning_rate"] = get_learning_rate(self.model.optimizer, "ReduceLROnPlateau")
        current = self._monitor_value(logs)
        if current is None:
            warn_missing("Learning rate reduction is", self.monitor, logs, end=".")
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_lr(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self) -> bool:
        """Whether the callback is waiting out a cooldown."""
        return self.cooldown_counter > 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def _reduce_lr(self, epoch: int) -> bool:
        optimizer = self.model.optimizer
        old_lr = get_learning_rate(optimizer, "ReduceLROnPlateau")
        # Compared in float32 as Keras stores the rate, so a rate at min_lr stays put.
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        set_learning_rate(optimizer, new_lr, "ReduceLROnPlateau")
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
