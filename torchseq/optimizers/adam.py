"""The Adam family: Adam (and AMSGrad), AdamW, Adamax and Nadam, as Keras 3 computes them."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq.optimizers._arguments import check_number
from torchseq.optimizers._foreach import add_scaled_, addcdiv_
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT

__all__ = ["Adam", "AdamW", "Adamax", "Nadam"]


class _MomentOptimizer(Optimizer):
    """Shared by the family: a first-moment decay ``beta_1``, a second ``beta_2`` and ``epsilon``."""

    def __init__(
        self,
        params: ParamsT | None,
        learning_rate: LearningRate,
        beta_1: float,
        beta_2: float,
        epsilon: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_number(owner, "beta_1", beta_1, low=0, high=1)
        self.beta_2 = check_number(owner, "beta_2", beta_2, low=0, high=1)
        self.epsilon = check_number(owner, "epsilon", epsilon, low=0)

    def _update_first_moments(self, momentums: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        torch._foreach_mul_(momentums, self.beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.beta_1)

    def _update_second_moments(self, velocities: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        torch._foreach_mul_(velocities, self.beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.beta_2)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adam(_MomentOptimizer):
    """Adaptive moment estimation, mirroring ``keras.optimizers.Adam``.

    ``m = beta_1 * m + (1 - beta_1) * g``; ``v = beta_2 * v + (1 - beta_2) * g**2``;
    ``w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)``
    at update ``t = 1, 2, ...``. Keras's ``epsilon`` default is ``1e-7`` (torch's 1e-8).

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        beta_1: Defaults to ``0.9``.
        beta_2: Defaults to ``0.999``.
        epsilon: Defaults to ``1e-7``.
        amsgrad: Use the running maximum of ``v`` (AMSGrad). Defaults to ``False``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = Adam(learning_rate=3e-4, amsgrad=True)
    """

    _traceable_update = True  # see Optimizer._traces_update

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = bool(amsgrad)

    def _slots(self) -> dict[str, float]:
        slots = {"momentum": 0.0, "velocity": 0.0}
        if self.amsgrad:
            slots["velocity_hat"] = 0.0
        return slots

    def _own_slot_groups(self) -> list[tuple[str, ...]]:
        # Keras adds AMSGrad's maxima after all the moments.
        return [("momentum", "velocity"), *([("velocity_hat",)] if self.amsgrad else [])]

    def _step_coefficients(self, iteration: int) -> tuple[np.floating, np.floating]:
        real, step = self._real, self._real(iteration + 1)
        return np.sqrt(1 - real(self.beta_2) ** step), 1 - real(self.beta_1) ** step

    def _update_scalars(
        self, lr: float, coefficients: tuple[np.floating, np.floating]
    ) -> tuple[float, float]:
        """The rate, and the step size ``lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``."""
        root_correction, correction = coefficients
        return lr, float(self._real(lr) * root_correction / correction)

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: float | torch.Tensor,
    ) -> None:
        step_size = coefficients
        momentums, velocities = slots["momentum"], slots["velocity"]
        self._update_first_moments(momentums, grads)
        self._update_second_moments(velocities, grads)
        if self.amsgrad:
            torch._foreach_maximum_(slots["velocity_hat"], velocities)
            velocities = slots["velocity_hat"]
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        addcdiv_(params, momentums, denominators, -step_size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay, mirroring ``keras.optimizers.AdamW``.

    Before each Adam update ``w -= w * weight_decay * lr``.

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        weight_decay: A number (``None`` is refused, as in Keras). Defaults to ``0.004``
            (torch's AdamW uses 0.01).
        beta_1: Defaults to ``0.9``.
        beta_2: Defaults to ``0.999``.
        epsilon: Defaults to ``1e-7``.
        amsgrad: Defaults to ``False``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = AdamW(learning_rate=1e-3, weight_decay=0.01)
    """

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number, received: weight_decay=None")
        super().__init__(
            params, learning_rate, beta_1, beta_2, epsilon, amsgrad,
            weight_decay=weight_decay, **kwargs,
        )


class Adamax(_MomentOptimizer):
    """Adam with the infinity norm, mirroring ``keras.optimizers.Adamax``.

    ``m = beta_1 * m + (1 - beta_1) * g``; ``u = max(beta_2 * u, |g|)``;
    ``w -= lr * m / ((u + epsilon) * (1 - beta_1**t))``.

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        beta_1: Defaults to ``0.9``.
        beta_2: Defaults to ``0.999``.
        epsilon: Defaults to ``1e-7``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = Adamax(learning_rate=2e-3)
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
        return {"momentum": 0.0, "norm": 0.0}

    def _step_coefficients(self, iteration: int) -> float:
        real = self._real
        return float(1 - real(self.beta_1) ** real(iteration + 1))

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: float | torch.Tensor,
    ) -> None:
        momentums, norms = slots["momentum"], slots["norm"]
        self._update_first_moments(momentums, grads)
        torch._foreach_mul_(norms, self.beta_2)
        torch._foreach_maximum_(norms, torch._foreach_abs(grads))
        denominators = torch._foreach_add(norms, self.epsilon)
        torch._foreach_mul_(denominators, coefficients)
        addcdiv_(params, momentums, denominators, -lr)


class Nadam(_MomentOptimizer):
    """Adam with Nesterov momentum, mirroring ``keras.optimizers.Nadam``.

    The momentum schedule is ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)``; the running
    product of the ``mu_t`` is part of the optimizer state (``extra_state``).

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        beta_1: Defaults to ``0.9``.
        beta_2: Defaults to ``0.999``.
        epsilon: Defaults to ``1e-7``.
        **kwargs: The common options of :class:`Optimizer`.

    Example:
        >>> optimizer = Nadam(learning_rate=2e-3)
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
        self._extra_state["u_product"] = 1.0

    def _slots(self) -> dict[str, float]:
        return {"momentum": 0.0, "velocity": 0.0}

    def _step_coefficients(self, iteration: int) -> tuple[float, float, float]:
        """Advance the momentum product; return the factors on ``m``, on ``g`` and on ``v``."""
        real, step = self._real, self._real(iteration + 1)
        beta_1, decay = real(self.beta_1), real(0.96)
        mu = beta_1 * (1 - real(0.5) * decay**step)
        mu_next = beta_1 * (1 - real(0.5) * decay ** (step + 1))
        product = real(self._extra_state["u_product"]) * mu
        self._extra_state["u_product"] = float(product)
        return (
            float(mu_next / (1 - product * mu_next)),
            float((1 - mu) / (1 - product)),
            float(1 - real(self.beta_2) ** step),
        )

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: tuple[float | torch.Tensor, ...],
    ) -> None:
        on_momentum, on_gradient, velocity_correction = coefficients
        momentums, velocities = slots["momentum"], slots["velocity"]
        self._update_first_moments(momentums, grads)
        self._update_second_moments(velocities, grads)
        corrected = torch._foreach_mul(momentums, on_momentum)
        add_scaled_(corrected, grads, on_gradient)
        denominators = torch._foreach_div(velocities, velocity_correction)
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        addcdiv_(params, corrected, denominators, -lr)
