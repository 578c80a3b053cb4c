"""``ProgbarLogger``: the progress bar of ``fit``, ``evaluate`` and ``predict``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.io_utils import print_msg
from torchseq.utils.progbar import Progbar

__all__ = ["ProgbarLogger"]

_BATCH_END_HOOKS = ("on_train_batch_end", "on_test_batch_end", "on_predict_batch_end")


class ProgbarLogger(Callback):
    """Prints progress and results, as ``keras.callbacks.ProgbarLogger``.

    ``fit`` prints ``Epoch 1/5`` (when there are several epochs) and one bar per epoch with
    the epoch's results, validation ones included; validation itself is silent.
    ``evaluate`` and ``predict`` print one bar. Values are shown as given (the trainer's
    logs are already running means). See :class:`~torchseq.utils.progbar.Progbar` for the
    format and for what a file or a pipe receives.

    The parameters ``verbose`` (``"auto"`` means 1), ``epochs`` and ``steps`` come from
    ``set_params``. At ``verbose=2`` with a known number of steps the batch hooks are
    idle, and ``CallbackList`` does not call them.

    Args:
        stream: Where to write (keyword-only, a torchseq addition); ``None`` means
            ``sys.stdout`` at the time of writing.
        time_fn: Clock in seconds for the bar (keyword-only, a torchseq addition, for
            tests). Defaults to ``time.time``.
    """

    def __init__(
        self, *, stream: TextIO | None = None, time_fn: Callable[[], float] | None = None
    ) -> None:
        super().__init__()
        self.seen = 0
        self.progbar: Progbar | None = None
        self.target: int | None = None
        self.verbose: int = 1
        self.epochs = 1
        self._stream = stream
        self._time_fn = time_fn
        self._called_in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._called_in_fit = True

    def on_test_begin(self, logs: Logs | None = None) -> None:
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}", stream=self._stream)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        # The predictions are no values to show.
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: Logs | None = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._finalize_progbar(logs)

    def _listens_to(self, hook: str) -> bool:
        if hook not in _BATCH_END_HOOKS or getattr(type(self), hook) is not getattr(
            ProgbarLogger, hook
        ):
            return True
        if hook == "on_test_batch_end" and self._called_in_fit:
            return False
        # Without a known number of steps the final line needs the count of batches seen.
        return self.verbose == 1 or self.target is None

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(
                target=self.target,
                verbose=self.verbose,
                unit_name="step",
                stateless_metrics=set(),
                stream=self._stream,
                time_fn=self._time_fn,
            )

    def _update_progbar(self, batch: int, logs: Logs | None) -> None:
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, logs, finalize=False)

    def _finalize_progbar(self, logs: Logs | None) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, logs, finalize=True)
