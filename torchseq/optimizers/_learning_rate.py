"""What an optimizer's ``learning_rate`` holds: a number, a schedule, or a callable of the step.

A number lives in the parameter groups' ``"lr"`` (where torch code and torch LR
schedulers look for it), so only schedules and callables are kept here. Reading
``optimizer.learning_rate`` gives a :class:`LearningRateVariable`: the rate as a ``float`` that
also answers Keras's variable calls (``assign``, ``numpy()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.optimizers import schedules
from torchseq.optimizers._arguments import check_learning_rate, takes_one_argument
from torchseq.utils import identifiers

__all__ = ["LearningRateVariable", "ScheduleSlot"]


class ScheduleSlot:
    """The optimizer's schedule, if any, and Keras 2's ``decay`` that excludes one.

    Args:
        owner: The optimizer's class name, for messages.
        decay: Keras 2's time decay (``0.0`` for none).
    """

    def __init__(self, owner: str, decay: float) -> None:
        self.owner = owner
        self.decay = decay
        self.schedule: Callable[..., Any] | None = None
        self._takes_step = True

    def accept(self, value: Any) -> float | None:
        """Keep a schedule or callable (returning ``None``), or validate and return a number."""
        if isinstance(value, schedules.LearningRateSchedule) or (
            callable(value) and not isinstance(value, torch.Tensor)
        ):
            if self.decay:
                raise ValueError(
                    f"{self.owner}: decay (Keras 2's time decay) applies to a numeric "
                    f"learning_rate only, received: learning_rate={value!r} with "
                    f"decay={self.decay}; use schedules.InverseTimeDecay instead"
                )
            self.schedule = value
            self._takes_step = takes_one_argument(value)
            return None
        if self.schedule is not None:
            raise TypeError(
                f"{self.owner} was created with a learning-rate schedule, {self.schedule!r}, "
                f"so its learning_rate cannot be set to a number, received: "
                f"learning_rate={value!r}; "
                "create the optimizer with a numeric learning_rate to change it later"
            )
        return check_learning_rate(self.owner, value)

    def rate_at(self, count: int) -> float | None:
        """The scheduled rate at step ``count``, or ``None`` without a schedule."""
        if self.schedule is None:
            return None
        rate = self.schedule(count) if self._takes_step else self.schedule()
        # A user schedule returning a tensor is read once per step; torchseq's return floats.
        return float(rate) if isinstance(rate, torch.Tensor) else rate

    def decayed(self, rate: float, count: int) -> float:
        """Keras 2's ``lr / (1 + decay * iterations)``."""
        return rate / (1.0 + self.decay * count) if self.decay else rate

    def serialize(self) -> Any:
        """The schedule as Keras writes it in an optimizer config."""
        if isinstance(self.schedule, schedules.LearningRateSchedule):
            return schedules.serialize(self.schedule)
        return identifiers.serialize_object(
            self.schedule, kind="learning_rate", module="", objects={}
        )


class LearningRateVariable(float):
    """An optimizer's current learning rate: a ``float`` with Keras's variable face.

    Keras's ``optimizer.learning_rate`` is a variable; torchseq keeps the rate in the
    parameter groups' ``"lr"``, so reading it gives this number. ``assign`` (and
    ``K.set_value``) change the optimizer's rate for its next step; ``numpy()`` and
    ``value`` read the optimizer's rate now. The number itself is the rate when it was
    read: read ``optimizer.learning_rate`` again after an ``assign``. With a schedule the
    number is the scheduled rate, and ``assign`` raises a ``TypeError``.

    Args:
        rate: The rate.
        optimizer: The optimizer it belongs to.

    Example:
        >>> from torchseq import optimizers
        >>> optimizer = optimizers.Adam(learning_rate=0.001)
        >>> _ = optimizer.learning_rate.assign(0.01)
        >>> float(optimizer.learning_rate)
        0.01
    """

    __slots__ = ("_optimizer",)

    def __new__(cls, rate: float, optimizer: Any) -> LearningRateVariable:  # noqa: PYI034
        result = super().__new__(cls, rate)
        result._optimizer = optimizer
        return result

    @property
    def name(self) -> str:
        return "learning_rate"

    @property
    def path(self) -> str:
        return f"{self._optimizer.name}/learning_rate"

    @property
    def trainable(self) -> bool:
        return False

    @property
    def shape(self) -> tuple[()]:
        return ()

    @property
    def dtype(self) -> str:
        """Keras's dtype of the rate variable, ``floatx()``."""
        return config.floatx()

    @property
    def value(self) -> torch.Tensor:
        """The optimizer's rate now, as a 0-d ``floatx()`` tensor."""
        return torch.tensor(float(self._optimizer.learning_rate), dtype=getattr(torch, self.dtype))

    def numpy(self) -> np.ndarray:
        """The optimizer's rate now, as a 0-d ``floatx()`` array (what Keras returns)."""
        return np.asarray(float(self._optimizer.learning_rate), dtype=self.dtype)

    def assign(self, value: Any) -> LearningRateVariable:
        """Set the optimizer's rate (every parameter group's) and return the new rate."""
        if isinstance(value, (torch.Tensor, np.ndarray)):
            value = float(value)
        self._optimizer.learning_rate = value
        return self._optimizer.learning_rate

    def assign_add(self, value: Any) -> LearningRateVariable:
        """``assign(rate + value)``, from the optimizer's rate now."""
        return self.assign(float(self._optimizer.learning_rate) + float(value))

    def assign_sub(self, value: Any) -> LearningRateVariable:
        """``assign(rate - value)``, from the optimizer's rate now."""
        return self.assign(float(self._optimizer.learning_rate) - float(value))

    def __reduce__(self) -> tuple[type, tuple[float]]:
        # Copies and pickles (logs, checkpoints) are plain numbers, not the optimizer.
        return float, (float(self),)
