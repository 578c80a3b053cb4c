"""Schedule-Free AdamW (Defazio et al., 2024), as Keras 3 computes it."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq.optimizers._arguments import check_int, check_number
from torchseq.optimizers._foreach import add_scaled_
from torchseq.optimizers.adam import _MomentOptimizer
from torchseq.optimizers.optimizer import LearningRate, ParamsT

__all__ = ["ScheduleFreeAdamW"]


class ScheduleFreeAdamW(_MomentOptimizer):
    """AdamW without a learning-rate schedule, mirroring ``keras.optimizers.ScheduleFreeAdamW``.

    Three sequences replace the schedule: ``z`` (Keras's ``momentum`` slot, starting at
    the weights) takes plain Adam-preconditioned gradient steps, ``x`` is the running
    average of the ``z``, and the weights ``y`` the model sees are
    ``(1 - beta_1) * z + beta_1 * x``. At update ``t = 1, 2, ...``::

        v = beta_2 * v + (1 - beta_2) * g**2
        z -= lr_t * g / (sqrt(v / (1 - beta_2**t)) + epsilon)
        x = (1 - 1/t) * x + z / t        # x recovered from y and the previous z
        y = (1 - beta_1) * z + beta_1 * x

    with ``lr_t = lr * min(t / warmup_steps, 1)``. As in Keras, the weights keep ``y``
    after training (the paper evaluates at ``x``).

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.0025``.
        beta_1: Interpolation between ``z`` and ``x``, in ``(0, 1]``. Defaults to ``0.9``.
        beta_2: Decay of the second moments, in ``[0, 1]``. Defaults to ``0.999``.
        epsilon: Defaults to ``1e-8`` (not Keras's usual 1e-7).
        warmup_steps: Updates over which the rate rises linearly from ``lr / warmup_steps``
            to ``lr``; ``0`` for none. Defaults to ``0``.
        **kwargs: The common options of :class:`~torchseq.optimizers.Optimizer`.

    Example:
        >>> optimizer = ScheduleFreeAdamW(learning_rate=0.0025, warmup_steps=100)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **kwargs)
        owner = type(self).__name__
        # beta_1 == 0 would divide by zero when x is recovered from y.
        self.beta_1 = check_number(owner, "beta_1", beta_1, low=0, high=1, low_open=True)
        self.warmup_steps = check_int(
            owner, "warmup_steps", warmup_steps, minimum=0, optional=False
        )

    def _slots(self) -> dict[str, float]:
        return {"momentum": 0.0, "velocity": 0.0}

    def _new_slots(self, param: torch.Tensor) -> dict[str, torch.Tensor]:
        # z starts at the weights, as Keras's build copies them.
        slots = super()._new_slots(param)
        slots["momentum"].copy_(param.detach())
        return slots

    def _step_coefficients(self, iteration: int) -> tuple[np.floating, ...]:
        """The warmup factor, the second-moment correction and the averaging weight ``1/t``."""
        real, step = self._real, self._real(iteration + 1)
        warmup = min(step / real(self.warmup_steps), real(1)) if self.warmup_steps else real(1)
        return warmup, 1 - real(self.beta_2) ** step, real(1) / step

    def _update_scalars(
        self, lr: float, coefficients: tuple[np.floating, ...]
    ) -> tuple[float, tuple[float, float, float]]:
        """The warmed-up rate; the second-moment correction, ``1 - 1/t`` and ``1/t``."""
        warmup, second_correction, average_weight = coefficients
        return float(self._real(lr) * warmup), (
            float(second_correction),
            float(1 - average_weight),
            float(average_weight),
        )

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: tuple[float | torch.Tensor, ...],
    ) -> None:
        second_correction, average_keep, average_weight = coefficients
        real = self._real
        beta_1 = real(self.beta_1)
        z, velocities = slots["momentum"], slots["velocity"]
        averages = torch._foreach_mul(z, float(1 - beta_1))
        torch._foreach_neg_(averages)
        torch._foreach_add_(averages, params)
        torch._foreach_div_(averages, float(beta_1))  # x, from y and the previous z
        # Keras's forms: v += (g**2 - v) * (1 - beta_2); z -= (lr * g) / denominator.
        changes = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(changes, velocities)
        torch._foreach_mul_(changes, float(1 - real(self.beta_2)))
        torch._foreach_add_(velocities, changes)
        denominators = torch._foreach_div(velocities, second_correction)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        steps = torch._foreach_mul(grads, lr)
        torch._foreach_div_(steps, denominators)
        torch._foreach_sub_(z, steps)
        torch._foreach_mul_(averages, average_keep)
        add_scaled_(averages, z, average_weight)
        torch._foreach_mul_(averages, float(beta_1))
        torch._foreach_add_(averages, z, alpha=float(1 - beta_1))
        torch._foreach_copy_(params, averages)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "warmup_steps": self.warmup_steps}
