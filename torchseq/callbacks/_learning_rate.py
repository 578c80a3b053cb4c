"""Reading and setting an optimizer's learning rate, Keras-style or plain torch."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.utils.logs import pythonify_value

__all__ = ["get_learning_rate", "set_learning_rate"]


def get_learning_rate(optimizer: Any, owner: str) -> float:
    """``optimizer.learning_rate`` as a float, or the first ``param_groups`` ``lr``.

    Raises:
        ValueError: If there is no optimizer (the model was not compiled).
        TypeError: If the optimizer has neither.
    """
    _check(optimizer, owner)
    if hasattr(optimizer, "learning_rate"):
        value = optimizer.learning_rate
    else:
        value = optimizer.param_groups[0]["lr"]
    return float(pythonify_value(value))


def set_learning_rate(optimizer: Any, value: float, owner: str) -> None:
    """Set ``optimizer.learning_rate``, or the ``lr`` of every parameter group."""
    _check(optimizer, owner)
    if hasattr(optimizer, "learning_rate"):
        optimizer.learning_rate = value
        return
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(value)
        else:
            group["lr"] = value


def _check(optimizer: Any, owner: str) -> None:
    if optimizer is None:
        raise ValueError(
            f"{owner} needs the model's optimizer, but model.optimizer is None: "
            "compile the model before fit"
        )
    if not hasattr(optimizer, "learning_rate") and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"{owner} expected an optimizer with a learning_rate attribute or a "
            f"torch.optim.Optimizer, received: {optimizer!r} of type {type(optimizer).__name__}"
        )
