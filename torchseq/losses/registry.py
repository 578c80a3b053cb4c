"""Losses by name: ``get``, ``serialize``, ``deserialize``, and ``resolve`` for ``compile``.

``get`` follows ``keras.losses.get``: a function name (``"mse"``,
``"categorical_crossentropy"``) gives the function, a class name
(``"MeanSquaredError"``) an instance. ``resolve`` is what ``compile`` uses: it always
gives an object called as ``loss(y_true, y_pred, sample_weight=None)``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from torchseq.losses import (
    crossentropy,
    generalized_crossentropy,
    hinges,
    metric_learning,
    probabilistic,
    regression,
    segmentation,
    temporal_classification,
)
from torchseq.losses.loss import Loss, LossFunctionWrapper
from torchseq.utils import identifiers

__all__ = [
    "builtin_function",
    "crossentropy_for_shapes",
    "deserialize",
    "get",
    "resolve",
    "serialize",
]

_MODULES = (
    probabilistic,
    crossentropy,
    generalized_crossentropy,
    regression,
    hinges,
    segmentation,
    temporal_classification,
    metric_learning,
)
# Keras 3's ALL_OBJECTS_DICT, plus Keras 2's spellings and the generalized crossentropy
# (which Keras 3 exports but its ``get`` does not know).
_OBJECTS: dict[str, Any] = {
    "Loss": Loss,
    "LossFunctionWrapper": LossFunctionWrapper,
    **{name: getattr(module, name) for module in _MODULES for name in module.__all__},
    "bce": crossentropy.binary_crossentropy,
    "BCE": crossentropy.binary_crossentropy,
    "kld": probabilistic.kl_divergence,
    "KLD": probabilistic.kl_divergence,
    "kullback_leibler_divergence": probabilistic.kl_divergence,
    "mae": regression.mean_absolute_error,
    "MAE": regression.mean_absolute_error,
    "mape": regression.mean_absolute_percentage_error,
    "MAPE": regression.mean_absolute_percentage_error,
    "mse": regression.mean_squared_error,
    "MSE": regression.mean_squared_error,
    "msle": regression.mean_squared_logarithmic_error,
    "MSLE": regression.mean_squared_logarithmic_error,
    "logcosh": regression.log_cosh,
}
# Resolved by ``resolve`` from the target and output shapes, as Keras's compile does.
SHAPE_DEPENDENT_NAMES = ("crossentropy", "ce")


def get(identifier: Any) -> Loss | Callable[..., Any] | None:
    """Resolve a loss identifier, following ``keras.losses.get``.

    Args:
        identifier: ``None`` (returned as is); a name: a function name or alias
            (``"mse"``, ``"kld"``, ``"categorical_crossentropy"``) gives the function,
            a class name (``"MeanSquaredError"``) an instance with default arguments;
            a Keras config dict; a loss class (instantiated); a loss instance, a plain
            function ``f(y_true, y_pred)`` or a torch loss module such as
            ``nn.CrossEntropyLoss()`` (returned as is).

    Raises:
        ValueError: For an unknown name (the message lists the valid names).
        TypeError: For an identifier of any other type.

    Example:
        >>> get("mse").__name__
        'mean_squared_error'
    """
    return identifiers.resolve_object(identifier, kind="loss", objects=_OBJECTS)


def serialize(loss: Any) -> dict[str, Any] | None:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``.

    A function gives ``{"class_name": "function", "config": name, ...}``; ``None`` gives
    ``None``.
    """
    return identifiers.serialize_object(loss, kind="loss", module="keras.losses", objects=_OBJECTS)


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Loss | Callable[..., Any]:
    """Build a loss (or find a loss function) from a name or a Keras config dict.

    Args:
        config: A name or the output of :func:`serialize`.
        custom_objects: Extra name -> class (or function) entries, searched first.
    """
    return identifiers.deserialize_object(
        config, kind="loss", objects=_OBJECTS, custom_objects=custom_objects
    )


def resolve(
    identifier: Any,
    y_true_shape: Sequence[int | None] | None = None,
    y_pred_shape: Sequence[int | None] | None = None,
) -> Loss | nn.Module | None:
    """What ``compile`` calls: any identifier to a loss called with ``sample_weight``.

    Like Keras's compile, ``"crossentropy"``/``"ce"`` pick the binary, sparse or
    categorical crossentropy from the shapes, and a function is wrapped in a
    :class:`LossFunctionWrapper` named after the identifier. A torch loss module
    (``nn.CrossEntropyLoss()``, called as ``module(y_pred, y_true)``) is returned as is.

    Args:
        identifier: Anything :func:`get` accepts.
        y_true_shape: Target shape with the batch axis; needed for ``"crossentropy"``.
        y_pred_shape: Output shape with the batch axis; needed for ``"crossentropy"``.

    Returns:
        ``None`` for ``None``, the torch module as is, otherwise a :class:`Loss`.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in SHAPE_DEPENDENT_NAMES:
        loss = crossentropy_for_shapes(identifier, y_true_shape, y_pred_shape)
    else:
        loss = get(identifier)
    if isinstance(loss, (Loss, nn.Module)):
        return loss
    name = identifier if isinstance(identifier, str) else _function_name(loss)
    return LossFunctionWrapper(loss, name=name)


def crossentropy_for_shapes(
    identifier: str,
    y_true_shape: Sequence[int | None] | None,
    y_pred_shape: Sequence[int | None] | None,
) -> Callable[..., Any]:
    """Keras's choice for ``"crossentropy"``: binary, sparse or categorical by the shapes.

    Binary when ``y_pred`` has one unit on its last axis; sparse when ``y_true`` has a
    lower rank, or a last axis of 1 against several classes; categorical otherwise.
    """
    if y_true_shape is None or y_pred_shape is None or not y_true_shape or not y_pred_shape:
        raise ValueError(
            f"loss={identifier!r} is chosen from the target and output shapes; pass "
            "y_true_shape and y_pred_shape (rank >= 1), received: "
            f"y_true_shape={y_true_shape}, y_pred_shape={y_pred_shape}"
        )
    classes = y_pred_shape[-1]
    if classes == 1:
        return crossentropy.binary_crossentropy
    if len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and classes != 1):
        return crossentropy.sparse_categorical_crossentropy
    return crossentropy.categorical_crossentropy


def builtin_function(loss: Any) -> tuple[Callable[..., Any] | None, dict[str, Any]]:
    """The built-in loss function behind ``loss`` and its options, or ``(None, {})``."""
    if isinstance(loss, LossFunctionWrapper):
        function, options = loss.fn, dict(loss._fn_kwargs)
    else:
        function, options = loss, {}
    if inspect.isfunction(function) and function in _OBJECTS.values():
        return function, options
    return None, {}


def _function_name(function: Any) -> str:
    name = getattr(function, "__name__", None)
    return name if isinstance(name, str) and name != "<lambda>" else "loss"
