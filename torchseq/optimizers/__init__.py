"""Optimizers and learning-rate schedules with Keras 3's names, defaults and update rules.

Every optimizer is a ``torch.optim.Optimizer``: ``compile`` accepts it by name
(``"adam"``), as an object, or a native torch optimizer class or instance.

Example:
    >>> from torchseq import optimizers
    >>> optimizers.get("adam").learning_rate
    0.001
"""

from __future__ import annotations

from typing import Any

import torch

from torchseq._excluded import missing_attribute
from torchseq.optimizers import schedules
from torchseq.optimizers.adafactor import Adafactor
from torchseq.optimizers.adagrad import Adadelta, Adagrad
from torchseq.optimizers.adam import Adam, Adamax, AdamW, Nadam
from torchseq.optimizers.ftrl import Ftrl
from torchseq.optimizers.lamb import Lamb
from torchseq.optimizers.lion import Lion
from torchseq.optimizers.loss_scale_optimizer import LossScaleOptimizer
from torchseq.optimizers.muon import Muon
from torchseq.optimizers.optimizer import Optimizer
from torchseq.optimizers.rmsprop import RMSprop
from torchseq.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from torchseq.optimizers.sgd import SGD
from torchseq.utils import identifiers

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]

_CLASSES: tuple[type[Optimizer], ...] = (
    SGD, RMSprop, Adam, AdamW, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl,
    Adafactor, Lamb, Muon, ScheduleFreeAdamW, LossScaleOptimizer,
)
# Keras resolves names case-insensitively by lower-cased class name: "sgd", "rmsprop", "adamw".
_OBJECTS: dict[str, type[Optimizer]] = {cls.__name__.lower(): cls for cls in _CLASSES}


def get(identifier: Any) -> Optimizer | torch.optim.Optimizer | type[torch.optim.Optimizer] | None:
    """Resolve an optimizer identifier, following ``keras.optimizers.get``.

    Args:
        identifier: ``None`` (returned as is); a Keras name (``"sgd"``, ``"rmsprop"``,
            ``"adam"``, ``"adamw"``, ``"adagrad"``, ``"adadelta"``, ``"adamax"``,
            ``"nadam"``, ``"lion"``, ``"ftrl"``, ``"adafactor"``, ``"muon"``,
            ``"schedulefreeadamw"``, and ``"lamb"``, which Keras 3's ``get`` misses;
            any case) giving an optimizer with Keras's defaults; a Keras config dict; a torchseq optimizer class
            (instantiated) or instance; a ``torch.optim.Optimizer`` instance, or a
            ``torch.optim.Optimizer`` class, returned as is for the caller to
            instantiate with the parameters.

    Raises:
        ValueError: For an unknown name (the message lists the valid names).
        TypeError: For an identifier of any other type.
    """
    if identifier is None or isinstance(identifier, torch.optim.Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, torch.optim.Optimizer):
        return identifier() if issubclass(identifier, Optimizer) else identifier
    if isinstance(identifier, str):
        return deserialize(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(
        "optimizer must be a name, a config dict, an Optimizer class or instance, or a "
        f"torch.optim.Optimizer class or instance, received: {identifier!r} "
        f"of type {type(identifier).__name__}"
    )


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Keras's config dict: ``{"module", "class_name", "config", "registered_name"}``."""
    return identifiers.serialize_object(
        optimizer, kind="optimizer", module="keras.optimizers", objects=_OBJECTS
    )


def deserialize(
    config: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Optimizer:
    """Build an optimizer from a name or a Keras config dict (class names in any case).

    Args:
        config: A name or the output of :func:`serialize`.
        custom_objects: Extra name -> class entries, searched first (exact names).
    """
    if isinstance(config, str):
        config = _lower_builtin(config)
    elif isinstance(config, dict) and isinstance(config.get("class_name"), str):
        config = {**config, "class_name": _lower_builtin(config["class_name"])}
    return identifiers.deserialize_object(
        config, kind="optimizer", objects=_OBJECTS, custom_objects=custom_objects
    )


def _lower_builtin(name: str) -> str:
    return name.lower() if name.lower() in _OBJECTS else name


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name)
