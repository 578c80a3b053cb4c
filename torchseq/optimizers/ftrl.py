"""FTRL-Proximal ("Follow The Regularized Leader"), as Keras 3 computes it."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.optimizers._arguments import check_number
from torchseq.optimizers._foreach import add_scalar_
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT

__all__ = ["Ftrl"]


class Ftrl(Optimizer):
    """FTRL-Proximal with L1, L2 and L2-shrinkage terms, mirroring ``keras.optimizers.Ftrl``.

    Per update, with accumulator ``n`` and linear term ``z`` (``p = -learning_rate_power``)::

        g' = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g**2
        z += g' - (n_new**p - n**p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * (l2 + beta / (2 * lr)))
        n = n_new

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        learning_rate_power: ``<= 0``. Defaults to ``-0.5``.
        initial_accumulator_value: ``>= 0``. Defaults to ``0.1``.
        l1_regularization_strength: ``>= 0``. Defaults to ``0.0``.
        l2_regularization_strength: ``>= 0``. Defaults to ``0.0``.
        l2_shrinkage_regularization_strength: ``>= 0``. Defaults to ``0.0``.
        beta: Defaults to ``0.0``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, **kwargs)
        self.learning_rate_power = check_number(
            "Ftrl", "learning_rate_power", learning_rate_power, high=0
        )
        self.initial_accumulator_value = check_number(
            "Ftrl", "initial_accumulator_value", initial_accumulator_value, low=0
        )
        self.l1_regularization_strength = check_number(
            "Ftrl", "l1_regularization_strength", l1_regularization_strength, low=0
        )
        self.l2_regularization_strength = check_number(
            "Ftrl", "l2_regularization_strength", l2_regularization_strength, low=0
        )
        self.l2_shrinkage_regularization_strength = check_number(
            "Ftrl", "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength, low=0,
        )
        self.beta = check_number("Ftrl", "beta", beta)

    def _slots(self) -> dict[str, float]:
        return {"accumulator": self.initial_accumulator_value, "linear": 0.0}

    def _update_scalars(self, lr: float, coefficients: Any) -> tuple[float, float]:
        """The rate, and ``2 * (l2 + beta / (2 * lr))``, the offset of the new weights' divisor."""
        return lr, 2 * (self.l2_regularization_strength + self.beta / (2.0 * lr))

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: float | torch.Tensor,
    ) -> None:
        quadratic_offset = coefficients
        accumulators, linears = slots["accumulator"], slots["linear"]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        shrinkage = self.l2_shrinkage_regularization_strength
        new_accumulators = torch._foreach_addcmul(accumulators, grads, grads)
        new_powers = torch._foreach_pow(new_accumulators, power)
        sigmas = torch._foreach_sub(new_powers, torch._foreach_pow(accumulators, power))
        torch._foreach_div_(sigmas, lr)
        torch._foreach_add_(linears, grads)
        if shrinkage:
            torch._foreach_add_(linears, params, alpha=2 * shrinkage)
        torch._foreach_addcmul_(linears, sigmas, params, value=-1)
        quadratics = torch._foreach_div(new_powers, lr)
        add_scalar_(quadratics, quadratic_offset)
        weights = torch._foreach_clamp_min(linears, -l1)
        torch._foreach_clamp_max_(weights, l1)
        torch._foreach_sub_(weights, linears)
        torch._foreach_div_(weights, quadratics)
        torch._foreach_copy_(params, weights)
        torch._foreach_copy_(accumulators, new_accumulators)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
