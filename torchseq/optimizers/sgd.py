"""SGD: gradient descent with optional (Nesterov) momentum, as Keras 3 computes it."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.optimizers._foreach import add_scaled_
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent with momentum, mirroring ``keras.optimizers.SGD``.

    With ``momentum == 0``: ``w -= lr * g``. Otherwise a velocity
    ``v = momentum * v - lr * g`` is kept and ``w += v``, or with ``nesterov``
    ``w += momentum * v - lr * g``. Keras 2's ``SGD(lr=0.01, decay=1e-6,
    momentum=0.9, nesterov=True)`` works as written (see :class:`Optimizer`).

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.01``.
        momentum: In ``[0, 1]``. Defaults to ``0.0``.
        nesterov: Defaults to ``False``.
        **kwargs: The common options of :class:`Optimizer` (``weight_decay``,
            ``clipnorm``, ``lr``, ``decay``, ...).

    Example:
        >>> import torch
        >>> w = torch.nn.Parameter(torch.tensor([1.0]))
        >>> optimizer = SGD([w], learning_rate=0.1, momentum=0.9)
        >>> w.grad = torch.tensor([1.0])
        >>> optimizer.step()
        >>> w
        Parameter containing:
        tensor([0.9000], requires_grad=True)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
            raise TypeError(
                f"SGD: momentum must be a number in [0, 1], received: momentum={momentum!r} "
                f"of type {type(momentum).__name__}"
            )
        if not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be in [0, 1], received: momentum={momentum}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        super().__init__(params, learning_rate, **kwargs)

    def _slots(self) -> dict[str, float]:
        return {"momentum": 0.0} if self.momentum != 0 else {}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: Any,
    ) -> None:
        if self.momentum == 0:
            add_scaled_(params, grads, -lr)
            return
        velocities = slots["momentum"]
        torch._foreach_mul_(velocities, self.momentum)
        add_scaled_(velocities, grads, -lr)
        if self.nesterov:
            add_scaled_(params, grads, -lr)
            torch._foreach_add_(params, velocities, alpha=self.momentum)
        else:
            torch._foreach_add_(params, velocities)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
