"""``MonitorCallback``: the shared base of callbacks that watch one logged quantity.

``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` decide whether a value
improves on a reference. ``mode="auto"`` infers the direction as Keras 3 does: ``loss``
and ``val_loss`` go down, a compiled metric goes the way its ``_direction`` (``"up"`` or
``"down"``) says; torchseq then also knows the usual Keras metric names, so that a model
whose metrics do not say still gets the direction Keras would find.
"""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from torchseq.callbacks.callback import Callback, Logs
from torchseq.utils.logs import pythonify_value

__all__ = ["MonitorCallback", "logged_names", "warn_missing"]

_MODES = ("auto", "min", "max")
# Keys that callbacks add to the epoch logs themselves (ReduceLROnPlateau, schedulers).
_CALLBACK_LOG_NAMES = ("learning_rate",)
_VALIDATION_PREFIX = "val_"
_UP_NAMES = (
    "accuracy", "acc", "auc", "precision", "recall", "f1_score", "fbeta_score", "r2_score",
    "iou", "mean_iou", "cosine_similarity", "pearson_correlation", "concordance_correlation",
)  # fmt: skip
_DOWN_NAMES = (
    "loss", "mean_squared_error", "mse", "mean_absolute_error", "mae",
    "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
    "root_mean_squared_error", "crossentropy", "hinge", "kl_divergence", "kld", "poisson",
    "log_cosh_error", "logcosh",
)  # fmt: skip


class MonitorCallback(Callback):
    """Base for callbacks that compare a monitored quantity with a reference.

    Args:
        monitor: Name of the logged quantity. Defaults to ``"val_loss"``.
        mode: ``"auto"``, ``"min"`` or ``"max"``. Defaults to ``"auto"``.
        baseline: Initial reference value, or ``None`` (the first value is an improvement).
        min_delta: Smallest change that counts as an improvement; its sign is ignored.
            Defaults to ``0``.

    Raises:
        TypeError: If ``monitor`` is not a string or ``min_delta`` not a number.
        ValueError: For an unknown ``mode`` (Keras warns and uses ``"auto"``).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: float | None = None,
        min_delta: float = 0,
    ) -> None:
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(
                f"{type(self).__name__}: monitor must be the name of a logged quantity (a "
                f"string such as 'val_loss'), received: {monitor!r} of type "
                f"{type(monitor).__name__}"
            )
        if mode not in _MODES:
            raise ValueError(
                f"{type(self).__name__}: mode must be one of {list(_MODES)}, received: "
                f"mode={mode!r}"
            )
        self.monitor = monitor
        self.mode = mode
        self.best = _optional_number(type(self).__name__, "baseline", baseline)
        self.min_delta = abs(_number(type(self).__name__, "min_delta", min_delta))
        self.monitor_op: Callable[[Any, Any], bool] | None = None

    def _set_monitor_op(self) -> None:
        """Choose the comparison, once the model's metrics are known (at the first epoch end).

        Raises:
            ValueError: If ``mode="auto"`` cannot tell the direction of ``monitor``.
        """
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            self.monitor_op = self._infer_monitor_op()
        if self.monitor_op is operator.lt:
            # Keras keeps min_delta signed from here on: current - min_delta < best.
            self.min_delta *= -1

    def _infer_monitor_op(self) -> Callable[[Any, Any], bool]:
        name = self.monitor.removeprefix("val_")
        if name == "loss":
            return operator.lt
        for metric in _model_metrics(self.model):
            direction = getattr(metric, "_direction", None)
            if direction in ("up", "down") and name in _metric_names(metric):
                return operator.gt if direction == "up" else operator.lt
        if _matches(name, _UP_NAMES):
            return operator.gt
        if _matches(name, _DOWN_NAMES):
            return operator.lt
        raise ValueError(
            f"{type(self).__name__} callback received monitor={self.monitor!r}, but cannot "
            "tell whether that quantity should be maximized or minimized. Pass mode='max' to "
            "monitor the highest value, or mode='min' to monitor the lowest value."
        )

    def _check_monitor_is_logged(self) -> None:
        """Refuse, before the first step, a ``monitor`` that ``fit`` will never log.

        Only where the model can tell its log names (see :func:`logged_names`); Keras
        warns at each epoch end instead.

        Raises:
            ValueError: Naming ``monitor`` and the names that will be logged.
        """
        names = logged_names(self.model)
        if names is None:
            return
        candidates = {*names, *(_VALIDATION_PREFIX + name for name in names), *_CALLBACK_LOG_NAMES}
        if self.monitor in candidates:
            return
        raise ValueError(
            f"{type(self).__name__}: monitor={self.monitor!r} names no quantity that fit logs. "
            f"Model {getattr(self.model, 'name', '')!r} logs {names}, each also with the prefix "
            f"{_VALIDATION_PREFIX!r} when fit is given validation data."
        )

    def _is_improvement(self, monitor_value: Any, reference_value: Any) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))

    def _monitor_value(self, logs: Logs | None) -> Any:
        """The monitored value as a Python float (read from the device now), or ``None``."""
        value = (logs or {}).get(self.monitor)
        return None if value is None else pythonify_value(value)


def logged_names(model: Any) -> list[str] | None:
    """The names ``fit`` will log for ``model`` in each epoch, without the ``val_`` copies.

    Known once ``fit`` has prepared the model (by ``on_train_begin``): the loss names and
    the compiled metrics' names, as ``model.metrics_names`` gives them. ``None`` when the
    model cannot tell: not compiled, compiled metrics not yet matched to the outputs (the
    first batch of ``fit`` does that), or a ``train_step`` / ``test_step`` of its own,
    whose logs are whatever it returns.
    """
    for step in ("train_step", "test_step"):
        method = getattr(type(model), step, None)
        if method is None or not method.__module__.startswith("torchseq.training"):
            return None
    compiled_metrics = getattr(getattr(model, "_compile_state", None), "metrics", None)
    if not getattr(compiled_metrics, "built", False):
        return None
    try:
        names = model.metrics_names
    except (ValueError, AttributeError):
        return None
    return list(names) if names else None


def _model_metrics(model: Any) -> Iterator[Any]:
    """The model's metric objects, looking inside containers that hold ``.metrics``."""
    pending = list(getattr(model, "metrics", None) or [])
    while pending:
        metric = pending.pop(0)
        yield metric
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            pending.extend(inner)


def _metric_names(metric: Any) -> set[str]:
    names = {getattr(metric, "name", None), getattr(metric, "log_name", None)}
    return {name for name in names if isinstance(name, str)}


def _matches(name: str, known: tuple[str, ...]) -> bool:
    """``name`` is a known name, or ends with one after an output prefix (``age_mae``)."""
    return any(name == candidate or name.endswith(f"_{candidate}") for candidate in known)


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{owner}: {name} must be a number, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if math.isnan(value):
        raise ValueError(f"{owner}: {name} must not be NaN, received: {name}={value}")
    return value


def _optional_number(owner: str, name: str, value: Any) -> float | None:
    return None if value is None else _number(owner, name, value)


def warn_missing(what: str, monitor: str, logs: Logs | None, end: str = "") -> None:
    """Keras's warning for a monitored quantity that the logs do not have."""
    available = ",".join(list(logs or {}))
    warnings.warn(
        f"{what} conditioned on metric `{monitor}` which is not available. "
        f"Available metrics are: {available}{end}",
        stacklevel=3,
    )
