"""``LambdaCallback``: a callback made of plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torchseq.callbacks.callback import Callback

__all__ = ["LambdaCallback"]

_HOOKS = tuple(
    name for name in vars(Callback) if name.startswith("on_") and callable(vars(Callback)[name])
)

Hook = Callable[..., Any]


class LambdaCallback(Callback):
    """Builds a callback from functions, as ``keras.callbacks.LambdaCallback``.

    Each function is called with the hook's positional arguments: ``(epoch, logs)`` for
    epoch hooks, ``(batch, logs)`` for batch hooks, ``(logs)`` for begin/end hooks. Hooks
    not given stay no-ops and are never called.

    Args:
        on_epoch_begin: Called at the start of each epoch.
        on_epoch_end: Called at the end of each epoch.
        on_train_begin: Called at the start of training.
        on_train_end: Called at the end of training.
        on_train_batch_begin: Called before each training batch.
        on_train_batch_end: Called after each training batch.
        **kwargs: Any other hook by name (``on_test_end=...``, ``on_batch_end=...``).

    Raises:
        ValueError: For a keyword that names no hook (Keras silently ignores it).
        TypeError: For a value that is not callable.

    Example:
        >>> losses = []
        >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(
        self,
        on_epoch_begin: Hook | None = None,
        on_epoch_end: Hook | None = None,
        on_train_begin: Hook | None = None,
        on_train_end: Hook | None = None,
        on_train_batch_begin: Hook | None = None,
        on_train_batch_end: Hook | None = None,
        **kwargs: Hook | None,
    ) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise ValueError(
                f"LambdaCallback: {unknown} name no callback hook; the hooks are {list(_HOOKS)}"
            )
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(
                    f"LambdaCallback: {name} must be callable, received: {function!r} "
                    f"of type {type(function).__name__}"
                )
            # An instance attribute shadows the no-op method; CallbackList sees it as overridden.
            setattr(self, name, function)
