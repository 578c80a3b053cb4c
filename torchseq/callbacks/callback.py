"""``Callback``: the base class of everything ``fit``, ``evaluate`` and ``predict`` call back.

Every hook is a no-op here. ``CallbackList`` calls a hook only on the callbacks whose class
(or instance, for ``LambdaCallback``) overrides it, so a batch hook nobody overrides costs
nothing per step. Logs values may be 0-d tensors still on the device: read them with
``torchseq.utils.logs.pythonify_logs`` / ``pythonify_value`` only when you need them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Callback", "listens"]

Logs = dict[str, Any]

# Keras 2's names: the base on_train_batch_* hooks forward to them.
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class Callback:
    """Base class for callbacks, as ``keras.callbacks.Callback``.

    Subclass it and override the hooks you need. The trainer calls ``set_model`` and
    ``set_params`` first; ``params`` holds ``verbose``, ``epochs`` and ``steps``.

    Attributes:
        model: The model being trained (the module inside a ``DistributedDataParallel``).
        params: The training parameters, or ``None`` before ``set_params``.

    Example:
        >>> class StopAtThree(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if epoch == 2:
        ...             self.model.stop_training = True
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self._model: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        """Receive the training parameters (``verbose``, ``epochs``, ``steps``)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Receive the model being trained."""
        self._model = model

    @property
    def model(self) -> Any:
        """The model; a ``DistributedDataParallel`` wrapper is looked through."""
        from torch.nn.parallel import DistributedDataParallel

        if isinstance(self._model, DistributedDataParallel):
            return self._model.module
        return self._model

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Keras 2's name for :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Keras 2's name for :meth:`on_train_batch_end`."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the start of epoch ``epoch`` (0-based) of ``fit``."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """Called at the end of an epoch with its results, validation ones prefixed ``val_``."""

    def on_train_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before training batch ``batch`` (0-based within the epoch)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after a training batch with the epoch's results so far."""
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before a batch of ``evaluate`` or of ``fit``'s validation."""

    def on_test_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after a batch of ``evaluate`` or of validation, with results so far."""

    def on_predict_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Called before a batch of ``predict``."""

    def on_predict_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """Called after a batch of ``predict``."""

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Called at the start of ``fit``."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """Called at the end of ``fit`` with the last epoch's logs."""

    def on_test_begin(self, logs: Logs | None = None) -> None:
        """Called at the start of ``evaluate`` or of a validation run."""

    def on_test_end(self, logs: Logs | None = None) -> None:
        """Called at the end of ``evaluate`` or of a validation run, with its results."""

    def on_predict_begin(self, logs: Logs | None = None) -> None:
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs: Logs | None = None) -> None:
        """Called at the end of ``predict``."""

    def _listens_to(self, hook: str) -> bool:
        """Whether an overridden ``hook`` has work to do with the current settings.

        ``CallbackList`` asks only about hooks the callback overrides; a callback whose
        batch hooks are idle under some settings (``ProgbarLogger`` at ``verbose=2``)
        answers ``False`` so that the trainer need not even build batch logs.
        """
        return True


def listens(callback: Any, hook: str) -> bool:
    """Whether ``callback`` does anything in ``hook``: it overrides it and it wants it called.

    Overriding is found by comparing the method with ``Callback``'s own; an instance
    attribute (``LambdaCallback``) or any non-``Callback`` object (a mock) counts as
    overriding. The base ``on_train_batch_*`` hooks forward to Keras 2's ``on_batch_*``,
    so overriding those counts too.
    """
    alias = _ALIASES.get(hook)
    if not (_overrides(callback, hook) or (alias is not None and _overrides(callback, alias))):
        return False
    # Looked up on the class so that a mock's attribute access is never recorded as a call.
    refine = getattr(type(callback), "_listens_to", None)
    return True if refine is None else bool(refine(callback, hook))


def _overrides(callback: Any, hook: str) -> bool:
    method = getattr(callback, hook, None)
    if method is None:
        return False
    return getattr(method, "__func__", method) is not getattr(Callback, hook)
