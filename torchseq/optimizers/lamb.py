"""Lamb (layer-wise adaptive moments for large batches), as Keras 3 computes it."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.optimizers._foreach import add_scaled_
from torchseq.optimizers.adam import _MomentOptimizer
from torchseq.optimizers.optimizer import LearningRate, ParamsT

__all__ = ["Lamb"]


class Lamb(_MomentOptimizer):
    """Adam's direction scaled per weight by a trust ratio, mirroring ``keras.optimizers.Lamb``.

    ``m = beta_1 * m + (1 - beta_1) * g``; ``v = beta_2 * v + (1 - beta_2) * g**2``;
    ``u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)``;
    ``w -= lr * r * u`` with the trust ratio ``r = ||w|| / ||u||`` for each weight
    tensor (``1`` when either norm is 0).

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        beta_1: Decay of the first moments, in ``[0, 1]``. Defaults to ``0.9``.
        beta_2: Decay of the second moments, in ``[0, 1]``. Defaults to ``0.999``.
        epsilon: Defaults to ``1e-7``.
        **kwargs: The common options of :class:`~torchseq.optimizers.Optimizer`.

    Example:
        >>> optimizer = Lamb(learning_rate=2e-3, weight_decay=0.01)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def _slots(self) -> dict[str, float]:
        return {"momentum": 0.0, "velocity": 0.0}

    def _step_coefficients(self, iteration: int) -> tuple[float, float]:
        real, step = self._real, self._real(iteration + 1)
        return float(1 - real(self.beta_1) ** step), float(1 - real(self.beta_2) ** step)

    def _update_scalars(
        self, lr: float, coefficients: tuple[float, float]
    ) -> tuple[float, tuple[float, float]]:
        """The rate in :attr:`_real` (Keras's variable type), and the bias corrections."""
        return float(self._real(lr)), coefficients

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: tuple[float | torch.Tensor, float | torch.Tensor],
    ) -> None:
        first_correction, second_correction = coefficients
        momentums, velocities = slots["momentum"], slots["velocity"]
        self._update_first_moments(momentums, grads)
        self._update_second_moments(velocities, grads)
        denominators = torch._foreach_div(velocities, second_correction)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        updates = torch._foreach_div(momentums, first_correction)
        torch._foreach_div_(updates, denominators)
        ratios = _trust_ratios(torch._foreach_norm(params), torch._foreach_norm(updates))
        torch._foreach_mul_(updates, ratios)
        add_scaled_(params, updates, -lr)


def _trust_ratios(
    weight_norms: list[torch.Tensor] | tuple[torch.Tensor, ...],
    update_norms: list[torch.Tensor] | tuple[torch.Tensor, ...],
) -> tuple[torch.Tensor, ...]:
    """``||w|| / ||u||`` per weight, or 1 where either norm is 0 (on the device, no sync)."""
    weights, updates = torch.stack(list(weight_norms)), torch.stack(list(update_norms))
    usable = (weights > 0) & (updates > 0)
    return torch.where(usable, weights / updates, torch.ones_like(weights)).unbind()
