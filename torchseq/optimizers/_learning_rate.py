"""What an optimizer's ``learning_rate`` holds: a number, a schedule, or a callable of the step.

A number lives in the parameter groups' ``"lr"`` (where torch code and torch LR
schedulers look for it), so only schedules and callables are kept here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchseq.optimizers import schedules
from torchseq.optimizers._arguments import check_learning_rate, takes_one_argument
from torchseq.utils import identifiers

__all__ = ["ScheduleSlot"]


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
                f"{self.owner} was created with a learning-rate schedule, so its "
                f"learning_rate cannot be set to a number, received: learning_rate={value!r}; "
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
