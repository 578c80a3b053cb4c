"""The machinery of the epoch loop: grouped batch hooks, lazy batch logs, deferred Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from torchseq.callbacks import CallbackList
from torchseq.utils.logs import pythonify_logs

__all__ = ["InterruptFlag", "LazyLogs", "StepGroups", "deferred_interrupt"]


class StepGroups:
    """Calls one mode's batch hooks once per group of ``size`` batches (``steps_per_execution``).

    A group's begin hook gets the index of its first batch, its end hook the index of its
    last batch run, and the stop flag is looked at only between groups, as Keras does. An
    epoch that ends inside a group (a final partial group, ``steps_per_epoch``, data that
    ran out) closes it with the last batch run; Keras instead reports ``first + size - 1``
    there, an index past the data. Hooks that no callback listens to are not called.
    """

    def __init__(self, callback_list: CallbackList | None, mode: str, size: int) -> None:
        self.size = size
        self.first = 0
        self._last: int | None = None
        self._active = callback_list is not None and callback_list.needs_batch_hooks(mode)
        if self._active:
            self._on_begin = getattr(callback_list, f"on_{mode}_batch_begin")
            self._on_end = getattr(callback_list, f"on_{mode}_batch_end")

    def begin(self, step: int) -> None:
        """Before batch ``step``; opens a group every ``size`` batches."""
        if step % self.size == 0:
            self.first = step
            if self._active:
                self._on_begin(step)
        self._last = step

    def end(self, step: int, logs: Callable[[], Mapping[str, Any]]) -> bool:
        """After batch ``step``; returns whether it closed a group (``logs()`` is its logs)."""
        if step - self.first + 1 < self.size:
            return False
        self._last = None
        if self._active:
            self._on_end(step, logs())
        return True

    def close(self, logs: Callable[[], Mapping[str, Any]]) -> None:
        """After the epoch's last batch: ends a group the epoch left open."""
        if self._last is not None:
            last, self._last = self._last, None
            if self._active:
                self._on_end(last, logs())


class LazyLogs(Mapping):
    """Batch logs computed only if a callback reads them (the progress bar, when it redraws).

    Values read are Python floats, as Keras hands callbacks: all are read from the device
    together, at the first read of the step.
    """

    def __init__(self, compute: Any) -> None:
        self._compute = compute
        self._values: dict[str, Any] | None = None

    def fresh(self) -> LazyLogs:
        self._values = None
        return self

    def _get(self) -> dict[str, Any]:
        if self._values is None:
            self._values = pythonify_logs(self._compute())
        return self._values

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


class InterruptFlag:
    """A Ctrl-C held back while ``deferring`` (a step updates the weights), raised by
    :meth:`check` once the step is over."""

    def __init__(self) -> None:
        self.raised = False
        self.deferring = False

    def check(self) -> None:
        if self.raised:
            self.raised = False
            raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_interrupt() -> Iterator[InterruptFlag]:
    """Hold a Ctrl-C that arrives during a step until the step ends, so weights are never
    half-updated; anywhere else (loading a batch, validation, callbacks) it interrupts at
    once. A SIGINT that is ignored (``SIG_IGN``, as under ``nohup``) or handled by a handler
    of the caller's is left alone, as is any signal outside the main thread."""
    flag = InterruptFlag()
    previous = signal.getsignal(signal.SIGINT)
    if (
        threading.current_thread() is not threading.main_thread()
        or previous is not signal.default_int_handler
    ):
        yield flag
        return

    def defer_during_step(signum: int, frame: Any) -> None:
        if not flag.deferring:
            signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt here
        flag.raised = True

    signal.signal(signal.SIGINT, defer_during_step)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
