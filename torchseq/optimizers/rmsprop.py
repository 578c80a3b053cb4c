"""RMSprop, as Keras 3 computes it (epsilon inside the square root)."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.optimizers._arguments import check_number
from torchseq.optimizers._foreach import addcdiv_
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square, mirroring ``keras.optimizers.RMSprop``.

    ``v = rho * v + (1 - rho) * g**2``, then ``w -= lr * g / sqrt(v + epsilon)``
    (Keras puts ``epsilon`` inside the square root; torch's RMSprop adds it
    outside). ``centered`` subtracts the squared running mean of the gradient
    inside the root; ``momentum > 0`` accumulates the increments first.

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        rho: Discount of the running averages, in ``[0, 1]``. Defaults to ``0.9``.
        momentum: In ``[0, 1]``. Defaults to ``0.0``.
        epsilon: Defaults to ``1e-7``.
        centered: Defaults to ``False``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = RMSprop(learning_rate=0.01, centered=True)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, **kwargs)
        self.rho = check_number("RMSprop", "rho", rho, low=0, high=1)
        self.momentum = check_number("RMSprop", "momentum", momentum, low=0, high=1)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, low=0)
        self.centered = bool(centered)

    def _slots(self) -> dict[str, float]:
        slots = {"velocity": 0.0}
        if self.momentum > 0:
            slots["momentum"] = 0.0
        if self.centered:
            slots["average_gradient"] = 0.0
        return slots

    def _own_slot_groups(self) -> list[tuple[str, ...]]:
        # Keras adds each kind for all the weights before the next kind.
        return [(name,) for name in self._slots()]

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: Any,
    ) -> None:
        velocities = slots["velocity"]
        torch._foreach_mul_(velocities, self.rho)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.rho)
        denominators = torch._foreach_add(velocities, self.epsilon)
        if self.centered:
            averages = slots["average_gradient"]
            torch._foreach_mul_(averages, self.rho)
            torch._foreach_add_(averages, grads, alpha=1 - self.rho)
            torch._foreach_addcmul_(denominators, averages, averages, value=-1)
        torch._foreach_sqrt_(denominators)
        if self.momentum > 0:
            momentums = slots["momentum"]
            torch._foreach_mul_(momentums, self.momentum)
            addcdiv_(momentums, grads, denominators, lr)
            torch._foreach_sub_(params, momentums)
        else:
            addcdiv_(params, grads, denominators, -lr)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
