"""``LearningRateScheduler``: set the learning rate from a function of the epoch."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchseq.callbacks._learning_rate import get_learning_rate, set_learning_rate
from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.io_utils import print_msg

__all__ = ["LearningRateScheduler"]


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch, as ``keras.callbacks.LearningRateScheduler``.

    ``schedule(epoch, lr)`` receives the 0-based epoch and the current rate and returns the
    new rate; a one-argument ``schedule(epoch)`` (Keras 2) works too. The rate in force at
    the end of the epoch is added to the logs as ``learning_rate``.

    Args:
        schedule: The function.
        verbose: ``1`` prints the rate set at each epoch. Defaults to ``0``.

    Raises:
        TypeError: If ``schedule`` is not callable, or (during ``fit``) returns something
            other than a number.

    Example:
        >>> def schedule(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> callback = LearningRateScheduler(schedule)
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, "
                f"received: {schedule!r} of type {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _accepts_two_arguments(schedule)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        optimizer = self.model.optimizer
        if self._takes_lr:
            current = get_learning_rate(optimizer, "LearningRateScheduler")
            learning_rate = self.schedule(epoch, current)
        else:
            learning_rate = self.schedule(epoch)
        learning_rate = _as_float(learning_rate)
        set_learning_rate(optimizer, learning_rate, "LearningRateScheduler")
        if self.verbose > 0:
            print_msg(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model.optimizer, "LearningRateScheduler")


def _accepts_two_arguments(function: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # some builtins have no signature: assume Keras 3's form
        return True
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True


def _as_float(value: Any) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    if isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(
        "LearningRateScheduler: the schedule function must return a number (the new "
        f"learning rate), received: {value!r} of type {type(value).__name__}"
    )
