"""``LossScaleOptimizer``: dynamic loss scaling for float16 training, as Keras's.

float16 gradients underflow to zero where float32 ones would not. The loss is multiplied
by a large scale before ``backward``; before the update the gradients are divided by it
again. When a gradient is not finite the update is skipped and the scale halved; after
``dynamic_growth_steps`` finite steps in a row it doubles. ``compile`` wraps the optimizer
in one when the model's dtype policy is ``"mixed_float16"``, as Keras does.

The finite check and the scale update run on the device with torch's AMP kernels (the
ones ``torch.amp.GradScaler`` uses); deciding whether to skip an update reads one flag back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from torchseq.optimizers.optimizer import Optimizer

__all__ = ["LossScaleOptimizer"]


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer`` with dynamic loss scaling.

    Args:
        inner_optimizer: The optimizer that applies the (unscaled) updates: a torchseq
            optimizer or a ``torch.optim.Optimizer`` instance.
        initial_scale: The starting scale. Defaults to ``2**15``.
        dynamic_growth_steps: Finite steps in a row after which the scale doubles.
            Defaults to 2000.
        name: Defaults to ``"loss_scale_optimizer"``.
    """

    def __init__(
        self,
        inner_optimizer: Any,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        from torchseq import optimizers

        if isinstance(inner_optimizer, dict):
            inner_optimizer = optimizers.deserialize(inner_optimizer)
        if not isinstance(inner_optimizer, torch.optim.Optimizer):
            raise TypeError(
                "LossScaleOptimizer expects an optimizer instance to wrap, received: "
                f"{inner_optimizer!r} of type {type(inner_optimizer).__name__}"
            )
        if isinstance(inner_optimizer, LossScaleOptimizer):
            raise TypeError("LossScaleOptimizer cannot wrap another LossScaleOptimizer")
        if isinstance(initial_scale, bool) or not isinstance(initial_scale, (int, float)) or (
            not initial_scale > 0
        ):
            raise ValueError(
                f"LossScaleOptimizer: initial_scale must be a positive number, received: "
                f"{initial_scale!r}"
            )
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) or (
            dynamic_growth_steps < 1
        ):
            raise ValueError(
                "LossScaleOptimizer: dynamic_growth_steps must be an int >= 1, received: "
                f"{dynamic_growth_steps!r}"
            )
        kwargs.pop("learning_rate", None)  # Keras's config never carries one; the inner has it
        super().__init__(None, name=name or "loss_scale_optimizer", **kwargs)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        self.dynamic_scale = torch.tensor(self.initial_scale, dtype=torch.float32)
        self.step_counter = torch.zeros((), dtype=torch.int32)
        if getattr(inner_optimizer, "built", True) and inner_optimizer.param_groups:
            self.param_groups = inner_optimizer.param_groups
            self.built = True

    @property
    def scales_loss(self) -> bool:
        return True

    def build(self, params: Any) -> None:
        params = list(params)
        if isinstance(self.inner_optimizer, Optimizer):
            self.inner_optimizer.build(params)
        self.param_groups = self.inner_optimizer.param_groups
        self.built = True

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """The loss times the current scale (call ``backward`` on this)."""
        return loss * self.dynamic_scale.to(loss.device)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Unscale the parameters' ``.grad``; update through the inner optimizer unless a
        gradient is not finite; adjust the scale."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        if self._unscale([p.grad for p in params]):
            self.inner_optimizer.step()
        return loss

    @torch.no_grad()
    def apply(self, grads: list[torch.Tensor | None], trainable_variables: Any = None) -> None:
        """Keras's ``apply`` with gradients of the scaled loss."""
        if trainable_variables is None:
            trainable_variables = [p for group in self.param_groups for p in group["params"]]
        if not self.built:
            self.build(trainable_variables)
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        unscaled = [g.clone() for g, _ in pairs]
        if self._unscale(unscaled):
            if isinstance(self.inner_optimizer, Optimizer):
                self.inner_optimizer.apply(unscaled, [v for _, v in pairs])
            else:
                for gradient, (_, variable) in zip(unscaled, pairs):
                    variable.grad = gradient
                self.inner_optimizer.step()

    def _unscale(self, grads: list[torch.Tensor]) -> bool:
        """Divide ``grads`` by the scale in place; update the scale; ``True`` if all finite."""
        if not grads:
            return False
        device = grads[0].device
        if self.dynamic_scale.device != device:
            self.dynamic_scale = self.dynamic_scale.to(device)
            self.step_counter = self.step_counter.to(device)
        found_inf = torch.zeros(1, device=device)
        by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
        for grad in grads:
            by_dtype.setdefault(grad.dtype, []).append(grad)
        inverse = self.dynamic_scale.double().reciprocal().float()
        for group in by_dtype.values():
            torch._amp_foreach_non_finite_check_and_unscale_(group, found_inf, inverse)
        torch._amp_update_scale_(
            self.dynamic_scale, self.step_counter, found_inf, 2.0, 0.5, self.dynamic_growth_steps
        )
        return not bool(found_inf.item())

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.inner_optimizer.zero_grad(set_to_none=set_to_none)

    # ------------------------------------------------------------------ the inner's face

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self) -> torch.Tensor:
        return self.inner_optimizer.iterations

    def keras_variables(self, weights: Any) -> list:
        return self.inner_optimizer.keras_variables(weights)

    def load_keras_variables(self, arrays: Any, weights: Any) -> None:
        self.inner_optimizer.load_keras_variables(arrays, weights)

    def state_dict(self) -> dict[str, Any]:
        return {
            "inner": self.inner_optimizer.state_dict(),
            "dynamic_scale": float(self.dynamic_scale),
            "step_counter": int(self.step_counter),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.inner_optimizer.load_state_dict(state_dict["inner"])
        self.dynamic_scale.fill_(state_dict["dynamic_scale"])
        self.step_counter.fill_(state_dict["step_counter"])

    def get_config(self) -> dict[str, Any]:
        from torchseq import optimizers

        return {
            "name": self.name,
            "inner_optimizer": optimizers.serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> LossScaleOptimizer:
        from torchseq import optimizers

        config = dict(config)
        config["inner_optimizer"] = optimizers.deserialize(
            config["inner_optimizer"], custom_objects=custom_objects
        )
        return cls(**config)
