"""``EarlyStopping``: stop ``fit`` when a monitored quantity stops improving."""

from __future__ import annotations

from typing import Any

from torchseq.callbacks.callback import Logs
from torchseq.callbacks.monitor_callback import MonitorCallback, warn_missing
from torchseq.utils.integers import is_int
from torchseq.utils.io_utils import print_msg

__all__ = ["EarlyStopping"]


class EarlyStopping(MonitorCallback):
    """Stops training when ``monitor`` has not improved for ``patience`` epochs.

    Mirrors ``keras.callbacks.EarlyStopping`` rule for rule: at each epoch end (from
    ``start_from_epoch`` on) the wait count grows by one and is reset by an improvement of
    more than ``min_delta`` over the best value so far that also beats ``baseline``; when it
    reaches ``patience`` (never at epoch 0) ``model.stop_training`` is set. The monitored
    value is read from the device once per epoch.

    Args:
        monitor: Quantity to watch. Defaults to ``"val_loss"``.
        min_delta: Smallest change that counts as an improvement. Defaults to ``0``.
        patience: Epochs without improvement before stopping. Defaults to ``0``.
        verbose: ``1`` prints when it stops and when it restores weights. Defaults to ``0``.
        mode: ``"auto"``, ``"min"`` or ``"max"``. Defaults to ``"auto"``.
        baseline: A value to beat: while no epoch beats it, the wait count is not reset.
            Defaults to ``None``.
        restore_best_weights: At the end of training, set the weights of the best epoch
            (with ``model.get_weights()``/``set_weights()``), even when no epoch beat
            ``baseline``. Defaults to ``False``.
        start_from_epoch: Epochs to let pass before watching. Defaults to ``0``.

    Raises:
        ValueError: At the start of ``fit``, if ``monitor`` names no quantity the model
            logs (Keras warns at each epoch end instead); ``val_`` names are accepted,
            since the callback cannot tell whether ``fit`` was given validation data.

    Example:
        >>> stop = EarlyStopping(monitor="loss", patience=3)  # doctest: +SKIP
        >>> model.fit(x, y, epochs=100, callbacks=[stop])  # doctest: +SKIP
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, baseline=baseline, min_delta=min_delta)
        self.patience = _non_negative_int("patience", patience)
        self.verbose = verbose
        self.baseline, self.best = self.best, None
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights: Any = None
        self.best_epoch = 0
        self.start_from_epoch = _non_negative_int("start_from_epoch", start_from_epoch)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._check_monitor_is_logged()
        # Ready for another fit with the same instance.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first watched epoch is the best so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The wait restarts only for a value that also beats the baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: Logs | None) -> float | None:
        """The monitored value as a Python float; warns and returns ``None`` when missing."""
        value = self._monitor_value(logs)
        if value is None:
            warn_missing("Early stopping", self.monitor, logs)
        return value


def _non_negative_int(name: str, value: Any) -> int:
    if not is_int(value):
        raise TypeError(
            f"EarlyStopping: {name} must be a non-negative integer, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(
            f"EarlyStopping: {name} must be a non-negative integer, received: {name}={value}"
        )
    return int(value)
