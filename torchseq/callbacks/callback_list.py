"""``CallbackList``: calls each hook on the callbacks that do something in it, in order.

The trainer's side of the contract::

    callbacks = CallbackList(user_callbacks, add_history=True, add_progbar=verbose != 0,
                             model=model, verbose=verbose, epochs=epochs, steps=steps)
    callbacks.on_train_begin()
    batch_hooks = callbacks.needs_batch_hooks("train")  # after on_train_begin
    ...
        if batch_hooks:
            callbacks.on_train_batch_begin(step)
        logs = train_step(...)          # build the batch logs only when batch_hooks
        if batch_hooks:
            callbacks.on_train_batch_end(step, logs)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torchseq.callbacks.callback import Callback, Logs, listens
from torchseq.callbacks.history import History
from torchseq.callbacks.progbar_logger import ProgbarLogger
from torchseq.utils import tree
from torchseq.utils.logs import flatten_logs

__all__ = ["CallbackList"]

_MODES = ("train", "test", "predict")
_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
    "on_batch_begin",
    "on_batch_end",
    *(f"on_{mode}_batch_{when}" for mode in _MODES for when in ("begin", "end")),
)


class CallbackList(Callback):
    """A list of callbacks called as one, as ``keras.callbacks.CallbackList``.

    Each hook is passed on, in list order, to the callbacks that override it (see
    :func:`~torchseq.callbacks.callback.listens`); the others are skipped. All callbacks of
    one hook call receive the same logs dict, so a key one adds (``ReduceLROnPlateau``'s
    ``learning_rate``) is seen by those after it, ``History`` included.

    Logs are passed with keys sorted and nested dicts merged in; values are never read
    here, so they may be device tensors. A batch hook given a ``Mapping`` that is not a
    ``dict`` passes it on untouched, so the trainer may hand over a mapping that computes
    its values on access: ``ProgbarLogger`` looks at them only when it redraws.

    Args:
        callbacks: ``Callback`` instances, possibly in nested lists.
        add_history: Append a ``History`` unless one is in ``callbacks``. Defaults to
            ``False``.
        add_progbar: Append a ``ProgbarLogger`` unless one is in ``callbacks``. Defaults
            to ``False``.
        model: The model, given to every callback with ``set_model``.
        **params: Training parameters (``verbose``, ``epochs``, ``steps``), given to
            every callback with ``set_params`` when there are any.

    Raises:
        TypeError: If an entry of ``callbacks`` is not a ``Callback``.
    """

    def __init__(
        self,
        callbacks: Any = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ) -> None:
        super().__init__()
        self.callbacks: list[Callback] = tree.flatten(callbacks) if callbacks else []
        for index, callback in enumerate(self.callbacks):
            _check_callback(callback, f"callbacks[{index}]")
        self._listeners: dict[str, tuple[Callback, ...]] = {}
        self._history: History | None = None
        self._progbar: ProgbarLogger | None = None
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    @property
    def history(self) -> History | None:
        """The ``History`` callback of the list, if any (``fit`` returns it)."""
        return self._history

    def append(self, callback: Callback) -> None:
        """Add a callback at the end, giving it the list's model and parameters."""
        _check_callback(callback, "callback")
        self.callbacks.append(callback)
        if isinstance(callback, History) and self._history is None:
            self._history = callback
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)
        self._update_listeners()

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)
        self._update_listeners()

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def listens(self, hook: str) -> bool:
        """Whether some callback does something in ``hook`` (e.g. ``"on_train_batch_end"``).

        Raises:
            ValueError: If ``hook`` names no hook.
        """
        if hook not in _HOOKS:
            raise ValueError(f"hook must be one of {list(_HOOKS)}, received: hook={hook!r}")
        return bool(self._listeners[hook])

    def needs_batch_hooks(self, mode: str) -> bool:
        """Whether the trainer must call the batch hooks of ``mode`` at all.

        When this is ``False`` no callback does anything per batch in that mode, so the
        trainer may skip ``on_<mode>_batch_begin``/``_end`` and not build batch logs.
        The answer can change with the callbacks' state (``ProgbarLogger`` ignores
        validation batches inside ``fit``): ask after ``on_train_begin`` /
        ``on_test_begin`` / ``on_predict_begin``, which refresh it.

        Args:
            mode: ``"train"``, ``"test"`` or ``"predict"``.

        Raises:
            ValueError: For another ``mode``.
        """
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {list(_MODES)}, received: mode={mode!r}")
        return bool(
            self._listeners[f"on_{mode}_batch_begin"] or self._listeners[f"on_{mode}_batch_end"]
        )

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_batch_begin", batch, logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_batch_end", batch, logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._call_hook("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._call_hook("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self._call_batch_hook("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._call_hook("on_train_begin", logs)
        self._update_listeners()

    def on_train_end(self, logs: Logs | None = None) -> None:
        self._call_hook("on_train_end", logs)

    def on_test_begin(self, logs: Logs | None = None) -> None:
        self._call_hook("on_test_begin", logs)
        self._update_listeners()

    def on_test_end(self, logs: Logs | None = None) -> None:
        self._call_hook("on_test_end", logs)

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        self._call_hook("on_predict_begin", logs)
        self._update_listeners()

    def on_predict_end(self, logs: Logs | None = None) -> None:
        self._call_hook("on_predict_end", logs)

    def _call_hook(self, hook: str, *args: Any) -> None:
        """A begin/end or epoch hook: ``args`` ends with the logs, normalised once for all."""
        listeners = self._listeners[hook]
        if not listeners:
            return
        *head, logs = args
        logs = flatten_logs(logs)
        for callback in listeners:
            getattr(callback, hook)(*head, logs)

    def _call_batch_hook(self, hook: str, batch: int, logs: Any) -> None:
        listeners = self._listeners[hook]
        if not listeners:
            return
        if logs is None or type(logs) is dict:
            logs = flatten_logs(logs)
        elif not isinstance(logs, Mapping):
            raise TypeError(
                f"{hook}: logs must be a dict or a Mapping of names to values, "
                f"received: {logs!r} of type {type(logs).__name__}"
            )
        for callback in listeners:
            getattr(callback, hook)(batch, logs)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger) and self._progbar is None:
                self._progbar = callback
            elif isinstance(callback, History) and self._history is None:
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def _update_listeners(self) -> None:
        self._listeners = {
            hook: tuple(callback for callback in self.callbacks if listens(callback, hook))
            for hook in _HOOKS
        }


def _check_callback(callback: Any, name: str) -> None:
    if not isinstance(callback, Callback):
        raise TypeError(
            f"{name} must be a keras.callbacks.Callback (torchseq.callbacks.Callback) instance, "
            f"received: {callback!r} of type {type(callback).__name__}"
        )
