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

import numpy as np
import torch

from torchseq import config
from torchseq.optimizers.optimizer import Optimizer, averaged_already

__all__ = ["LossScaleOptimizer"]

# The base optimizer's options, which belong on the inner optimizer: accepted at their
# defaults only (Keras's config of the wrapper may carry them).
_INNER_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer`` with dynamic loss scaling.

    Args:
        inner_optimizer: The optimizer that applies the (unscaled) updates: a torchseq
            optimizer or a ``torch.optim.Optimizer`` instance.
        initial_scale: The starting scale. Defaults to ``2**15``.
        dynamic_growth_steps: Finite steps in a row after which the scale doubles.
            Defaults to 2000.
        name: Defaults to ``"loss_scale_optimizer"``.

    The inner optimizer's ``loss_scale_factor`` is cleared (this one scales the loss), and
    the base optimizer's options (``clipnorm``, ``use_ema``...) are refused unless they hold
    their defaults: set them on ``inner_optimizer``, as in Keras.

    Example:
        >>> from torchseq import optimizers
        >>> optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(0.1), initial_scale=1024.0)
        >>> float(optimizer.learning_rate), float(optimizer.dynamic_scale)
        (0.1, 1024.0)
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
        if (
            isinstance(initial_scale, bool)
            or not isinstance(initial_scale, (int, float))
            or (not initial_scale > 0)
        ):
            raise ValueError(
                f"LossScaleOptimizer: initial_scale must be a positive number, received: "
                f"{initial_scale!r}"
            )
        if (
            isinstance(dynamic_growth_steps, bool)
            or not isinstance(dynamic_growth_steps, int)
            or (dynamic_growth_steps < 1)
        ):
            raise ValueError(
                "LossScaleOptimizer: dynamic_growth_steps must be an int >= 1, received: "
                f"{dynamic_growth_steps!r}"
            )
        _check_options(kwargs)
        super().__init__(None, name=name or "loss_scale_optimizer")
        self.inner_optimizer = inner_optimizer
        if isinstance(inner_optimizer, Optimizer):
            inner_optimizer.loss_scale_factor = None
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
        if Optimizer._gradient_averager is not None:  # before the ranks decide to skip
            averaged = Optimizer._gradient_averager([p.grad for p in params])
            for param, gradient in zip(params, averaged):
                param.grad = gradient
        if self._unscale([p.grad for p in params]):
            with averaged_already():
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
        if Optimizer._gradient_averager is not None:  # before the ranks decide to skip
            unscaled = Optimizer._gradient_averager(unscaled)
        if not self._unscale(unscaled):
            return
        with averaged_already():
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

    @property
    def variables(self) -> list[torch.Tensor]:
        """Keras's order: this optimizer's own iteration count and learning rate (never
        used: both are the inner's; zeros as in Keras), then once built ``step_counter`` and
        ``dynamic_scale``, then the inner optimizer's variables."""
        inner = getattr(self.inner_optimizer, "variables", [])
        return self._own_variables() + list(inner)

    def _own_variables(self) -> list[torch.Tensor]:
        rate = torch.zeros((), dtype=getattr(torch, config.floatx()))
        scaling = [self.step_counter, self.dynamic_scale] if self.built else []
        return [self._iterations, rate, *scaling]

    def keras_variables(self, weights: Any = None) -> list[np.ndarray]:
        """Keras's ``[v.numpy() for v in optimizer.variables]`` (see :attr:`variables`)."""
        own = [tensor.detach().cpu().numpy().copy() for tensor in self._own_variables()]
        return own + self._inner_keras().keras_variables(weights)

    @torch.no_grad()
    def load_keras_variables(self, arrays: Any, weights: Any = None) -> None:
        """Set the loss scale and the inner optimizer's state from Keras's variables (the
        inverse of :meth:`keras_variables`); an unbuilt optimizer is built for ``weights``
        first, as Keras builds it before loading.

        Raises:
            ValueError: When the number of arrays, or an array's shape, is not what this
                optimizer has. Nothing is loaded then (an unbuilt optimizer stays built).
        """
        inner = self._inner_keras()
        arrays = [np.asarray(array) for array in arrays]
        if not self.built and weights is not None:
            self.build([w[0] if isinstance(w, tuple) else w for w in weights])
        own = len(self._own_variables())
        expected = own + len(inner.keras_variables(weights))
        if len(arrays) != expected:
            raise ValueError(
                f"LossScaleOptimizer {self.name!r}: expected {expected} optimizer variables in "
                f"Keras's order ({own} of its own, then the inner optimizer's), received "
                f"{len(arrays)}; nothing was loaded"
            )
        for index, array in enumerate(arrays[:own]):
            if array.shape != ():
                raise ValueError(
                    f"LossScaleOptimizer {self.name!r}: optimizer variable {index} expected "
                    f"shape (), received shape {array.shape}; nothing was loaded"
                )
        inner.load_keras_variables(arrays[own:], weights)
        if self.built:
            self.step_counter.fill_(int(arrays[2]))
            self.dynamic_scale.fill_(float(arrays[3]))

    def _inner_keras(self) -> Optimizer:
        if not isinstance(self.inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer: Keras's variables need a torchseq inner optimizer, "
                f"received: {type(self.inner_optimizer).__name__}"
            )
        return self.inner_optimizer

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


def _check_options(options: dict[str, Any]) -> None:
    """Refuse what Keras's ``LossScaleOptimizer`` refuses, before anything is set."""
    options = dict(options)
    options.pop("learning_rate", None)  # a wrapper's rate is the inner's
    if not options.pop("dynamic", True):
        raise ValueError(
            "LossScaleOptimizer: only dynamic loss scaling is supported, received: "
            "dynamic=False; for a fixed scale set loss_scale_factor on the optimizer instead"
        )
    for option, default in _INNER_DEFAULTS.items():
        value = options.pop(option, default)
        if value != default:
            raise ValueError(
                f"LossScaleOptimizer does not support {option}: set it on the "
                f"inner_optimizer; expected {option}={default!r}, received: {option}={value!r}"
            )
    if options:
        raise ValueError(
            "LossScaleOptimizer expects inner_optimizer, initial_scale, dynamic_growth_steps "
            f"and name, received unsupported argument(s): {sorted(options)}"
        )
