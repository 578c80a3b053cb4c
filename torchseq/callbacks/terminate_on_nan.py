"""``TerminateOnNaN``: stop training at the first batch whose loss is NaN or infinite."""

from __future__ import annotations

import numpy as np

from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.io_utils import print_msg
from torchseq.utils.logs import pythonify_value

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(Callback):
    """Stops ``fit`` when a batch's ``loss`` is NaN or infinite, as ``keras.callbacks.TerminateOnNaN``.

    It prints ``Batch 12: Invalid loss, terminating training`` and sets
    ``model.stop_training``, so the epoch ends and every callback's ``on_train_end`` runs.
    It reads the loss after every batch: on an accelerator that is one host-device
    synchronisation per step, the price of stopping at the very batch.

    Args:
        raise_error: Raise a ``RuntimeError`` at once instead, skipping the other
            callbacks' end hooks (to keep, say, a backup untouched). Defaults to ``False``.
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = pythonify_value(loss)
        if np.isfinite(loss).all():
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                "Terminating training immediately."
            )
        print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
