"""Adagrad and Adadelta, as Keras 3 computes them."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.optimizers._arguments import check_number
from torchseq.optimizers._foreach import add_scaled_, addcdiv_
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT

__all__ = ["Adadelta", "Adagrad"]


class Adagrad(Optimizer):
    """Per-parameter rates from the sum of squared gradients, mirroring ``keras.optimizers.Adagrad``.

    ``a += g**2``, then ``w -= lr * g / sqrt(a + epsilon)``, with the
    accumulator ``a`` starting at ``initial_accumulator_value`` (Keras's 0.1,
    where torch's Adagrad starts at 0).

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        initial_accumulator_value: Non-negative start of the accumulators. Defaults to ``0.1``.
        epsilon: Defaults to ``1e-7``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = Adagrad(learning_rate=0.01)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, **kwargs)
        self.initial_accumulator_value = check_number(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0
        )
        self.epsilon = check_number("Adagrad", "epsilon", epsilon, low=0)

    def _slots(self) -> dict[str, float]:
        return {"accumulator": self.initial_accumulator_value}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: Any,
    ) -> None:
        accumulators = slots["accumulator"]
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        addcdiv_(params, grads, denominators, -lr)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Adadelta(Optimizer):
    """Rates from running averages of squared gradients and updates, mirroring ``keras.optimizers.Adadelta``.

    ``a = rho * a + (1 - rho) * g**2``;
    ``delta = -sqrt(d + epsilon) / sqrt(a + epsilon) * g``;
    ``d = rho * d + (1 - rho) * delta**2``; ``w += lr * delta``.

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001`` (Keras's default; the paper uses 1.0).
        rho: Decay of the running averages, in ``[0, 1]``. Defaults to ``0.95``.
        epsilon: Defaults to ``1e-7``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = Adadelta(learning_rate=1.0)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, **kwargs)
        self.rho = check_number("Adadelta", "rho", rho, low=0, high=1)
        self.epsilon = check_number("Adadelta", "epsilon", epsilon, low=0)

    def _slots(self) -> dict[str, float]:
        return {"accumulated_grad": 0.0, "accumulated_delta_var": 0.0}

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: Any,
    ) -> None:
        squared_grads, squared_deltas = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(squared_grads, self.rho)
        torch._foreach_addcmul_(squared_grads, grads, grads, value=1 - self.rho)
        deltas = torch._foreach_add(squared_deltas, self.epsilon)
        torch._foreach_sqrt_(deltas)
        torch._foreach_mul_(deltas, grads)
        grad_rms = torch._foreach_add(squared_grads, self.epsilon)
        torch._foreach_sqrt_(grad_rms)
        torch._foreach_div_(deltas, grad_rms)
        torch._foreach_neg_(deltas)
        torch._foreach_mul_(squared_deltas, self.rho)
        torch._foreach_addcmul_(squared_deltas, deltas, deltas, value=1 - self.rho)
        add_scaled_(params, deltas, lr)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
