"""Adafactor (Shazeer and Stern, 2018), as Keras 3 computes it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchseq.optimizers._arguments import check_number
from torchseq.optimizers._foreach import add_scaled_
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT
from torchseq.utils import layouts

__all__ = ["Adafactor"]

_ROW, _COLUMN, _VELOCITY = "row_moment", "column_moment", "velocity"


class Adafactor(Optimizer):
    """Adaptive rates from factored second moments, mirroring ``keras.optimizers.Adafactor``.

    For a weight of rank 2 or more (in Keras's layout, e.g. ``(kh, kw, in, out)`` for a
    conv kernel whatever torch's storage), the second moments of its last two axes are
    kept as a row average ``r`` and a column average ``c`` instead of a full tensor,
    with ``G = g**2 + epsilon_1`` and ``beta = 1 - t**beta_2_decay`` at update ``t``::

        r = beta * r + (1 - beta) * mean(G, axis=-1)
        c = beta * c + (1 - beta) * mean(G, axis=-2)
        v = (r / mean(r, axis=-1))[..., None] * c[..., None, :]

    (a weight of rank 0 or 1 keeps ``v = beta * v + (1 - beta) * G``). Then
    ``u = g / sqrt(v)``, clipped to ``u / max(1, rms(u) / clip_threshold)``, and
    ``w -= max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t)) * u``.

    As in Keras, the step size is ``min(lr, 1 / sqrt(t))`` whatever ``relative_step``
    says; the argument is kept for configs. Also as in Keras, a weight of rank < 2 has
    two int32 zero placeholders for ``r`` and ``c``, so the variables line up with
    Keras's ``optimizer.variables``.

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        beta_2_decay: Exponent of the second-moment decay schedule, ``<= 0``.
            Defaults to ``-0.8``.
        epsilon_1: Added to the squared gradients, ``>= 0``. Defaults to ``1e-30``.
        epsilon_2: Smallest weight scale ``rms(w)`` used, ``>= 0``. Defaults to ``1e-3``.
        clip_threshold: The update's largest root mean square, ``> 0``. Defaults to ``1.0``.
        relative_step: Kept for Keras's configs (it changes nothing, as in Keras).
            Defaults to ``True``.
        **kwargs: The common options of :class:`~torchseq.optimizers.Optimizer`.

    Example:
        >>> optimizer = Adafactor(learning_rate=0.01)
    """

    _keras_shaped_slots = (_ROW, _COLUMN)

    @property
    def _traceable_update(self) -> bool:  # see Optimizer._traces_update
        # The compiled step updates the weights detached, without the layout that tells
        # `_update_factored` their Keras axes: only weights stored as Keras stores them.
        return all(
            param.ndim < 2 or _layout_of(param) is None
            for group in self.param_groups
            for param in group["params"]
        )

    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, **kwargs)
        owner = type(self).__name__
        self.beta_2_decay = check_number(owner, "beta_2_decay", beta_2_decay, high=0)
        self.epsilon_1 = check_number(owner, "epsilon_1", epsilon_1, low=0)
        self.epsilon_2 = check_number(owner, "epsilon_2", epsilon_2, low=0)
        self.clip_threshold = check_number(
            owner, "clip_threshold", clip_threshold, low=0, low_open=True
        )
        self.relative_step = bool(relative_step)

    # ------------------------------------------------------------------ slots

    def _slots(self) -> dict[str, float]:
        return {_ROW: 0.0, _COLUMN: 0.0, _VELOCITY: 0.0}

    def _new_slots(self, param: torch.Tensor) -> dict[str, torch.Tensor]:
        velocity = torch.zeros_like(param, memory_format=torch.preserve_format)
        if param.ndim < 2:
            placeholder = torch.zeros((), dtype=torch.int32, device=param.device)
            return {_ROW: placeholder, _COLUMN: placeholder.clone(), _VELOCITY: velocity}
        shape = tuple(layouts.to_keras(param.detach(), _layout_of(param)).shape)
        return {
            _ROW: param.new_zeros(self._slot_keras_shape(_ROW, shape)),
            _COLUMN: param.new_zeros(self._slot_keras_shape(_COLUMN, shape)),
            _VELOCITY: velocity,
        }

    def _slot_keras_shape(self, name: str, keras_shape: tuple[int, ...]) -> tuple[int, ...]:
        if name == _VELOCITY:
            return keras_shape
        if len(keras_shape) < 2:
            return ()
        return keras_shape[:-1] if name == _ROW else keras_shape[:-2] + keras_shape[-1:]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's ``load_state_dict``, keeping the placeholders int32 (torch casts them)."""
        super().load_state_dict(state_dict)
        for state in self.state.values():
            for name in (_ROW, _COLUMN):
                if name in state and state[name].ndim == 0:
                    state[name] = state[name].to(torch.int32)

    # ------------------------------------------------------------------ the update

    def _step_coefficients(self, iteration: int) -> tuple[np.floating, np.floating]:
        """The second-moment decay ``beta`` and ``1 / sqrt(t)``."""
        real, step = self._real, self._real(iteration + 1)
        return 1 - step ** real(self.beta_2_decay), real(1) / np.sqrt(step)

    def _update_scalars(
        self, lr: float, coefficients: tuple[np.floating, np.floating]
    ) -> tuple[float, tuple[float, float]]:
        """The step size ``min(lr, 1 / sqrt(t))``, and the decay ``beta`` with ``1 - beta``."""
        beta, inverse_root = coefficients
        return float(min(self._real(lr), inverse_root)), (float(beta), float(1 - beta))

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor]],
        lr: float | torch.Tensor,
        coefficients: tuple[float | torch.Tensor, float | torch.Tensor],
    ) -> None:
        beta, blend = coefficients
        step_sizes = _root_mean_squares(params)
        torch._foreach_clamp_min_(step_sizes, self.epsilon_2)
        torch._foreach_mul_(step_sizes, lr)
        squares = torch._foreach_mul(grads, grads)
        torch._foreach_add_(squares, self.epsilon_1)
        velocities = slots[_VELOCITY]
        plain = [i for i, param in enumerate(params) if param.ndim < 2]
        if plain:
            plain_velocities = [velocities[i] for i in plain]
            torch._foreach_mul_(plain_velocities, beta)
            add_scaled_(plain_velocities, [squares[i] for i in plain], blend)
        for i, param in enumerate(params):
            if param.ndim >= 2:
                _update_factored(
                    squares[i], slots[_ROW][i], slots[_COLUMN][i], velocities[i], param,
                    beta, blend,
                )
        updates = torch._foreach_div(grads, torch._foreach_sqrt(velocities))
        clip_divisors = _root_mean_squares(updates)
        torch._foreach_div_(clip_divisors, self.clip_threshold)
        torch._foreach_clamp_min_(clip_divisors, 1.0)
        torch._foreach_div_(step_sizes, clip_divisors)
        torch._foreach_mul_(updates, step_sizes)
        torch._foreach_sub_(params, updates)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }


def _update_factored(
    square: torch.Tensor,
    row: torch.Tensor,
    column: torch.Tensor,
    velocity: torch.Tensor,
    param: torch.Tensor,
    beta: float | torch.Tensor,
    blend: float | torch.Tensor,
) -> None:
    """Advance ``r`` and ``c`` (Keras's layout; ``blend`` is ``1 - beta``) and rebuild ``v``
    (the stored layout)."""
    layout = _layout_of(param)
    square = layouts.to_keras(square, layout)
    moments = [row, column]
    torch._foreach_mul_(moments, beta)
    add_scaled_(moments, [square.mean(dim=-1), square.mean(dim=-2)], blend)
    normalized_row = row / row.mean(dim=-1, keepdim=True)
    velocity.copy_(layouts.to_stored(normalized_row.unsqueeze(-1) * column.unsqueeze(-2), layout))


def _root_mean_squares(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """``sqrt(mean(x**2))`` of each tensor, as 0-d tensors on its device."""
    norms = list(torch._foreach_norm(tensors))
    torch._foreach_mul_(norms, [1.0 / math.sqrt(max(t.numel(), 1)) for t in tensors])
    return norms


def _layout_of(param: torch.Tensor) -> layouts.Layout:
    """A torchseq weight's layout (see ``utils.layouts``); ``None`` for a plain tensor."""
    return getattr(param, "_keras_layout", None)
