"""Muon (momentum orthogonalized by Newton-Schulz), with AdamW for the other weights, as Keras 3."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq.optimizers._arguments import check_int, check_number
from torchseq.optimizers.optimizer import LearningRate, Optimizer, ParamsT

__all__ = ["Muon"]


class Muon(Optimizer):
    """Orthogonalized momentum for matrices, AdamW for the rest; mirrors ``keras.optimizers.Muon``.

    A 2-D weight takes the Muon step unless its ``path`` contains ``"embedding"`` (with
    ``exclude_embeddings``) or matches one of ``exclude_layers``; every other weight
    (biases, conv kernels, embeddings, excluded layers) takes an AdamW step::

        Muon:  m = momentum * m + g
               d = g + momentum * m  (nesterov)  or  m
               w -= lr * NS(d) * sqrt(max(rows, columns)) * rms_rate
        AdamW: Adam with rate lr * adam_lr_ratio, moments adam_beta_1, adam_beta_2

    ``NS`` is ``ns_steps`` quintic Newton-Schulz iterations with coefficients
    ``(muon_a, muon_b, muon_c)`` on ``d / (||d|| + 1e-7)``, an approximate
    orthogonalization. Decoupled weight decay uses ``weight_decay`` on the Muon weights
    and ``adam_weight_decay`` on the others, both times the learning rate (not scaled by
    ``adam_lr_ratio``), as in Keras.

    Usually the output layer is excluded: ``Muon(exclude_layers=["output_dense"])``.

    Args:
        params: Parameters (torch style) or ``None`` until :meth:`build`.
        learning_rate: Defaults to ``0.001``.
        adam_beta_1: First-moment decay of the AdamW step, in ``[0, 1]``. Defaults to ``0.9``.
        adam_beta_2: Second-moment decay of the AdamW step, in ``[0, 1]``.
            Defaults to ``0.999``.
        adam_weight_decay: Weight decay of the AdamW weights, or ``None``.
            Defaults to ``0.004``.
        epsilon: Of the AdamW step. Defaults to ``1e-7``.
        weight_decay: Weight decay of the Muon weights, or ``None``. Defaults to ``0.004``.
        exclude_layers: Regular expressions searched in a weight's ``path``
            (``"dense_3/kernel"``): a match takes the AdamW step. Defaults to ``None``.
        exclude_embeddings: Whether weights whose path contains ``"embedding"`` take the
            AdamW step. Defaults to ``True``.
        muon_a: First Newton-Schulz coefficient. Defaults to ``3.4445``.
        muon_b: Second Newton-Schulz coefficient. Defaults to ``-4.7750``.
        muon_c: Third Newton-Schulz coefficient. Defaults to ``2.0315``.
        adam_lr_ratio: The AdamW step's rate over ``learning_rate``, ``>= 0``.
            Defaults to ``1``.
        momentum: Momentum of the Muon step, in ``[0, 1]``. Defaults to ``0.95``.
        ns_steps: Newton-Schulz iterations, ``>= 0``. Defaults to ``5``.
        nesterov: Nesterov momentum for the Muon step. Defaults to ``True``.
        rms_rate: Scale making the Muon step's size comparable to Adam's (Liu et al.,
            2025), or ``None`` for no scaling. Defaults to ``0.2``.
        **kwargs: The other common options of :class:`~torchseq.optimizers.Optimizer`.

    Example:
        >>> optimizer = Muon(learning_rate=0.02, exclude_layers=["classifier"])
    """

    # Not `_traceable_update`: two weight decays in a group, where the compiled step has one.
    def __init__(
        self,
        params: ParamsT | None = None,
        learning_rate: LearningRate = 0.001,
        adam_beta_1: float = 0.9,
        adam_beta_2: float = 0.999,
        adam_weight_decay: float | None = 0.004,
        epsilon: float = 1e-7,
        weight_decay: float | None = 0.004,
        *,
        exclude_layers: Sequence[str] | None = None,
        exclude_embeddings: bool = True,
        muon_a: float = 3.4445,
        muon_b: float = -4.7750,
        muon_c: float = 2.0315,
        adam_lr_ratio: float = 1,
        momentum: float = 0.95,
        ns_steps: int = 5,
        nesterov: bool = True,
        rms_rate: float | None = 0.2,
        **kwargs: Any,
    ) -> None:
        super().__init__(params, learning_rate, weight_decay=weight_decay, **kwargs)
        owner = type(self).__name__
        self.adam_beta_1 = check_number(owner, "adam_beta_1", adam_beta_1, low=0, high=1)
        self.adam_beta_2 = check_number(owner, "adam_beta_2", adam_beta_2, low=0, high=1)
        self.adam_weight_decay = check_number(
            owner, "adam_weight_decay", adam_weight_decay, low=0, optional=True
        )
        self.epsilon = check_number(owner, "epsilon", epsilon, low=0)
        self.exclude_layers = _check_patterns(owner, exclude_layers)
        self.exclude_embeddings = bool(exclude_embeddings)
        self.muon_a = check_number(owner, "muon_a", muon_a)
        self.muon_b = check_number(owner, "muon_b", muon_b)
        self.muon_c = check_number(owner, "muon_c", muon_c)
        self.adam_lr_ratio = check_number(owner, "adam_lr_ratio", adam_lr_ratio, low=0)
        self.momentum = check_number(owner, "momentum", momentum, low=0, high=1)
        self.ns_steps = check_int(owner, "ns_steps", ns_steps, minimum=0, optional=False)
        self.nesterov = bool(nesterov)
        self.rms_rate = check_number(owner, "rms_rate", rms_rate, low=0, optional=True)
        self._adam_choice: dict[int, bool] = {}

    # ------------------------------------------------------------------ which step

    def _uses_adam(self, param: torch.Tensor) -> bool:
        """Whether ``param`` takes the AdamW step (cached: the training step pays a lookup)."""
        key = id(param)
        if key not in self._adam_choice:
            path = str(getattr(param, "path", None) or "")
            self._adam_choice[key] = (
                param.ndim != 2
                or (self.exclude_embeddings and "embedding" in path.lower())
                or any(re.search(pattern, path) for pattern in self.exclude_layers)
            )
        return self._adam_choice[key]

    def _after_build(self) -> None:
        super()._after_build()
        self._adam_choice.clear()

    def _slots(self) -> dict[str, float]:
        return {"momentum": 0.0, "velocity": 0.0}

    def _slot_names(self, param: torch.Tensor) -> tuple[str, ...]:
        return ("momentum", "velocity") if self._uses_adam(param) else ("momentum",)

    def _decay_weights(self, group: dict[str, Any], params: list[torch.Tensor], lr: float) -> None:
        adam = [p for p in params if self._uses_adam(p)]
        self._decay([p for p in params if not self._uses_adam(p)], group["weight_decay"], lr)
        self._decay(adam, self.adam_weight_decay, lr)

    # ------------------------------------------------------------------ the update

    def _step_coefficients(self, iteration: int) -> tuple[np.floating, np.floating]:
        """Adam's corrections ``sqrt(1 - adam_beta_2**t)`` and ``1 - adam_beta_1**t``."""
        real, step = self._real, self._real(iteration + 1)
        return np.sqrt(1 - real(self.adam_beta_2) ** step), 1 - real(self.adam_beta_1) ** step

    def _update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        slots: dict[str, list[torch.Tensor | None]],
        lr: float,
        coefficients: tuple[np.floating, np.floating],
    ) -> None:
        adam = [i for i, velocity in enumerate(slots["velocity"]) if velocity is not None]
        muon = [i for i, velocity in enumerate(slots["velocity"]) if velocity is None]
        if adam:
            self._adam_update(
                *_pick(adam, params, grads, slots["momentum"], slots["velocity"]), lr, coefficients
            )
        if muon:
            self._muon_update(*_pick(muon, params, grads, slots["momentum"]), lr)

    def _adam_update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        momentums: list[torch.Tensor],
        velocities: list[torch.Tensor],
        lr: float,
        coefficients: tuple[np.floating, np.floating],
    ) -> None:
        root_correction, correction = coefficients
        real = self._real
        step_size = float(real(lr) * real(self.adam_lr_ratio) * root_correction / correction)
        torch._foreach_mul_(momentums, self.adam_beta_1)
        torch._foreach_add_(momentums, grads, alpha=1 - self.adam_beta_1)
        torch._foreach_mul_(velocities, self.adam_beta_2)
        torch._foreach_addcmul_(velocities, grads, grads, value=1 - self.adam_beta_2)
        denominators = torch._foreach_sqrt(velocities)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_addcdiv_(params, momentums, denominators, value=-step_size)

    def _muon_update(
        self,
        params: list[torch.Tensor],
        grads: list[torch.Tensor],
        momentums: list[torch.Tensor],
        lr: float,
    ) -> None:
        torch._foreach_mul_(momentums, self.momentum)
        torch._foreach_add_(momentums, grads)
        directions = (
            torch._foreach_add(grads, momentums, alpha=self.momentum)
            if self.nesterov
            else momentums
        )
        real = self._real
        for param, direction in zip(params, directions):
            scale = real(lr)
            if self.rms_rate is not None:
                scale = scale * np.sqrt(real(max(param.shape))) * real(self.rms_rate)
            param.sub_(self.orthogonalize(direction), alpha=float(scale))

    def orthogonalize(self, matrix: torch.Tensor) -> torch.Tensor:
        """Keras's ``zeropower_via_newtonschulz5``: ``matrix`` pushed towards ``U V^T``.

        The matrix (transposed first when it has more rows than columns) is scaled to a
        Frobenius norm of at most 1, then ``ns_steps`` times
        ``X = a X + (b A + c A A) X`` with ``A = X X^T``.

        Args:
            matrix: A tensor of rank >= 2; the last two axes are the matrices.

        Returns:
            A tensor of the same shape.

        Raises:
            ValueError: For a tensor of rank < 2.
        """
        if matrix.ndim < 2:
            raise ValueError(
                "Muon.orthogonalize expects a tensor of rank >= 2, received: "
                f"shape={tuple(matrix.shape)}"
            )
        transposed = matrix.shape[-2] > matrix.shape[-1]
        x = matrix.mT if transposed else matrix
        x = x / (torch.linalg.matrix_norm(x, keepdim=True) + 1e-7)
        for _ in range(self.ns_steps):
            gram = x @ x.mT
            x = self.muon_a * x + (self.muon_b * gram + (self.muon_c * gram) @ gram) @ x
        return x.mT if transposed else x

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1,
            "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon,
            "exclude_layers": list(self.exclude_layers),
            "muon_a": self.muon_a,
            "muon_b": self.muon_b,
            "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio,
            "momentum": self.momentum,
            "ns_steps": self.ns_steps,
            "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay,
            "rms_rate": self.rms_rate,
        }


def _pick(indices: list[int], *lists: list[Any]) -> tuple[list[Any], ...]:
    return tuple([values[i] for i in indices] for values in lists)


def _check_patterns(owner: str, patterns: Any) -> list[str]:
    """``exclude_layers`` as a list of valid regular expressions."""
    if patterns is None:
        return []
    if isinstance(patterns, str) or not isinstance(patterns, (list, tuple)):
        raise TypeError(
            f"{owner}: exclude_layers must be a list of strings or None, received: "
            f"exclude_layers={patterns!r} of type {type(patterns).__name__}"
        )
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise TypeError(
                f"{owner}: exclude_layers must be a list of strings, received the entry "
                f"{pattern!r} of type {type(pattern).__name__}"
            )
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(
                f"{owner}: exclude_layers entries must be regular expressions, received: "
                f"{pattern!r} ({error})"
            ) from error
    return list(patterns)
