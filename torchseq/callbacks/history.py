"""``History``: the per-epoch record that ``fit`` returns."""

from __future__ import annotations

from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.logs import pythonify_logs

__all__ = ["History"]


class History(Callback):
    """Records each epoch's logs, as ``keras.callbacks.History``; ``fit`` returns it.

    Attributes:
        history: ``{name: [value per epoch]}`` with Python floats, keys sorted (a key that
            a callback adds to the logs, such as ``learning_rate``, takes its sorted place).
        epoch: The indices of the recorded epochs.
        params: The training parameters (``verbose``, ``epochs``, ``steps``).
        model: The model; its ``history`` attribute is set to this object after each epoch.

    Example:
        >>> history = History()
        >>> history.on_train_begin()
        >>> history.on_epoch_end(0, {"val_loss": 0.5, "loss": 0.25})
        >>> history.history
        {'loss': [0.25], 'val_loss': [0.5]}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[object]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        added = False
        for name, value in pythonify_logs(logs).items():
            if name not in self.history:
                self.history[name] = []
                added = True
            self.history[name].append(value)
        if added:
            self._sort_keys()
        if self.model is not None:
            self.model.history = self

    def _sort_keys(self) -> None:
        # In place, so that a reference to the dict taken earlier stays current.
        for name in sorted(self.history):
            self.history[name] = self.history.pop(name)
