"""Lion (evolved sign momentum), as Keras 3 computes it."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.optimizers._arguments import check_number
from torchseq.optimizers._foreach import add_scaled_
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT

__all__ = ["Lion"]


class Lion(Optimizer):
    """Signed momentum updates, mirroring ``keras.optimizers.Lion``.

    ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``, then
    ``m = beta_2 * m + (1 - beta_2) * g``.

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        beta_1: In ``(0, 1]``. Defaults to ``0.9``.
        beta_2: In ``[0, 1]``. Defaults to ``0.99``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = Lion(learning_rate=1e-4, weight_decay=0.01)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, **kwargs)
        # beta_1 == 0 would make Lion plain sign descent, which Keras refuses as well.
        self.beta_1 = check_number("Lion", "beta_1", beta_1, low=0, high=1, low_open=True)
        self.beta_2 = check_number("Lion", "beta_2", beta_2, low=0, high=1)

    def _slots(self) -> dict[str, float]:
        return {"momentum": 0.0}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: Any,
    ) -> None:
        momentums = slots["momentum"]
        directions = torch._foreach_mul(momentums, self.beta_1)
        torch._foreach_add_(directions, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(directions)
        add_scaled_(params, directions, -lr)
        torch._foreach_mul_(momentums, self.beta_2)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
