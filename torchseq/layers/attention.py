"""Dot-product and additive attention over ``[query, value(, key)]``: Attention, AdditiveAttention."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from torchseq.layers.layer import Layer
from torchseq.layers.symbolic import KerasTensor

__all__ = ["AdditiveAttention", "Attention"]

_SCORE_MODES = ("dot", "concat")
# Keras subtracts this from masked scores rather than using -inf, so a fully masked row
# attends uniformly instead of producing NaN.
_MASKED_SCORE_OFFSET = {torch.float16: 65504.0}
_DEFAULT_MASKED_SCORE_OFFSET = 1.0e9


class _BaseDenseAttention(Layer):
    """Shared machinery of Attention and AdditiveAttention.

    Subclasses create their weights in ``build`` and implement ``_calculate_scores``; this
    class validates the inputs, applies masks, the softmax and dropout.
    """

    def __init__(self, use_scale: bool, dropout: float, seed: int | None, **kwargs: Any) -> None:
        name = type(self).__name__
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise TypeError(
                f"{name}: dropout must be a float in [0, 1), received: dropout={dropout!r} "
                f"of type {type(dropout).__name__}"
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"{name}: dropout must be in [0, 1), received: dropout={dropout}")
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)
        self.dropout = float(dropout)
        self.seed = seed
        self.supports_masking = True

    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or _is_plain_shape(inputs):
            received = (
                f"shape {tuple(inputs)}" if _is_plain_shape(inputs) else type(inputs).__name__
            )
            raise ValueError(
                f'{name} layer "{self.name}" must be called on a list of inputs, namely '
                f"[query, value] or [query, value, key]. Received: a single input ({received})"
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f'{name} layer "{self.name}" expects a list of 2 or 3 inputs, namely '
                f"[query, value] or [query, value, key]. Received a list of length {len(inputs)}"
            )
        shapes = [tuple(x) if _is_plain_shape(x) else tuple(x.shape) for x in inputs]
        query_shape, value_shape = shapes[0], shapes[1]
        key_shape = shapes[2] if len(shapes) > 2 else value_shape
        if len(query_shape) < 3 or len(value_shape) < 3 or len(key_shape) < 3:
            raise ValueError(
                f'{name} layer "{self.name}" expects inputs of rank >= 3 '
                f"(batch, steps, features), received shapes {shapes}"
            )
        if not _same_size(key_shape[-2], value_shape[-2]):
            raise ValueError(
                f'{name} layer "{self.name}": key and value must have the same number of '
                f"steps (axis -2), received key shape {key_shape} and value shape {value_shape}"
            )
        if not _same_size(query_shape[-1], key_shape[-1]):
            raise ValueError(
                f'{name} layer "{self.name}": query and key must have the same last dimension, '
                f"received query shape {query_shape} and key shape {key_shape}"
            )
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(
                    f'{name} layer "{self.name}": mask must be a list [query_mask, value_mask], '
                    f"received: mask of type {type(mask).__name__}"
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(
                    f'{name} layer "{self.name}" expects a mask list of length 2 or 3, '
                    f"received a list of length {len(mask)}"
                )

    def call(
        self,
        inputs: list[torch.Tensor],
        mask: list[torch.Tensor | None] | None = None,
        training: bool | None = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        self._validate_inputs(inputs, mask)
        training = self.training if training is None else training
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None

        scores = self._calculate_scores(query, key)
        scores_mask = _scores_mask(scores, value_mask, use_causal_mask)
        if scores_mask is not None:
            offset = _MASKED_SCORE_OFFSET.get(scores.dtype, _DEFAULT_MASKED_SCORE_OFFSET)
            scores = torch.where(scores_mask, scores, scores - offset)
        weights = torch.softmax(scores, dim=-1)
        applied = weights
        if training and self.dropout > 0:
            applied = F.dropout(weights, self.dropout, training=True)
        outputs = torch.matmul(applied, value)
        if query_mask is not None:
            outputs = torch.where(query_mask.bool().unsqueeze(-1), outputs, 0.0)
        if return_attention_scores:
            return outputs, weights
        return outputs

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def compute_mask(self, inputs: Any, mask: Any = None) -> torch.Tensor | None:
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return torch.as_tensor(mask[0])

    def compute_output_shape(self, input_shape: list[tuple]) -> tuple:
        self._validate_inputs(input_shape)
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(
        self,
        inputs: list[KerasTensor],
        mask: Any = None,
        training: bool | None = None,
        return_attention_scores: bool = False,
        use_causal_mask: bool = False,
    ) -> KerasTensor | tuple[KerasTensor, KerasTensor]:
        shapes = [tuple(x.shape) for x in inputs]
        output = KerasTensor(self.compute_output_shape(shapes), self._dtype)
        if not return_attention_scores:
            return output
        key_shape = shapes[2] if len(shapes) > 2 else shapes[1]
        return output, KerasTensor((*shapes[0][:-1], key_shape[-2]), self._dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class Attention(_BaseDenseAttention):
    """Dot-product (Luong-style) attention; mirrors ``keras.layers.Attention``.

    ``scores = query @ key^T`` (``score_mode="dot"``) or
    ``scores = concat_score_weight * sum(tanh(scale * (query + key)), -1)``
    (``score_mode="concat"``), then ``softmax(scores) @ value``.

    Args:
        use_scale: If ``True``, multiply the scores by a learned scalar ``scale`` (init 1).
        score_mode: ``"dot"`` (default) or ``"concat"``.
        dropout: Fraction of the attention weights to drop in training, in ``[0, 1)``.
        seed: Accepted for Keras compatibility; dropout draws from torch's generator.

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]`` (``key`` defaults to ``value``).
        mask: Optional ``[query_mask, value_mask]`` boolean tensors ``(batch, Tq)`` and
            ``(batch, Tv)``; masked values get no attention, masked queries output zeros.
        training: Whether to apply dropout (default: the layer's mode).
        return_attention_scores: Also return the attention weights ``(batch, Tq, Tv)``.
        use_causal_mask: Forbid position ``i`` to attend to positions ``j > i``.

    Input shape: query ``(batch, Tq, dim)``, value ``(batch, Tv, dim_v)``, key
    ``(batch, Tv, dim)``. Output shape: ``(batch, Tq, dim_v)``.

    Example:
        >>> layer = Attention()
        >>> layer([torch.ones(2, 3, 4), torch.ones(2, 5, 4)]).shape
        torch.Size([2, 3, 4])
    """

    def __init__(
        self,
        use_scale: bool = False,
        score_mode: str = "dot",
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if score_mode not in _SCORE_MODES:
            raise ValueError(
                f"Attention: score_mode must be one of {list(_SCORE_MODES)}, "
                f"received: score_mode={score_mode!r}"
            )
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)
        self.score_mode = score_mode
        for name, wanted in (
            ("scale", self.use_scale),
            ("concat_score_weight", score_mode == "concat"),
        ):
            if wanted:
                self._lazy_weight(name)
            else:
                self.register_parameter(name, None)

    def build(self, input_shape: list[tuple]) -> None:
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.add_weight(shape=(), initializer="ones", name="concat_score_weight")

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-2, -1))
            return scores if self.scale is None else scores * self.scale
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * torch.tanh(summed).sum(dim=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "score_mode": self.score_mode}


class AdditiveAttention(_BaseDenseAttention):
    """Additive (Bahdanau-style) attention; mirrors ``keras.layers.AdditiveAttention``.

    ``scores = sum(scale * tanh(query + key), -1)``, then ``softmax(scores) @ value``.

    Args:
        use_scale: If ``True`` (default), learn a per-feature ``scale`` of shape ``(dim,)``
            (glorot-uniform init); otherwise the scale is 1.
        dropout: Fraction of the attention weights to drop in training, in ``[0, 1)``.
        seed: Accepted for Keras compatibility; dropout draws from torch's generator.

    Call arguments: as for :class:`Attention`.

    Input shape: query ``(batch, Tq, dim)``, value ``(batch, Tv, dim_v)``, key
    ``(batch, Tv, dim)``. Output shape: ``(batch, Tq, dim_v)``.

    Example:
        >>> layer = AdditiveAttention()
        >>> layer([torch.ones(2, 3, 4), torch.ones(2, 5, 4)]).shape
        torch.Size([2, 3, 4])
    """

    def __init__(
        self,
        use_scale: bool = True,
        dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)
        if self.use_scale:
            self._lazy_weight("scale")
        else:
            self.register_parameter("scale", None)

    def build(self, input_shape: list[tuple]) -> None:
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        if dim is None:
            raise ValueError(
                f'AdditiveAttention layer "{self.name}": the last axis of the query must be '
                f"known, received query shape {input_shape[0]}"
            )
        if self.use_scale:
            self.add_weight(shape=(dim,), initializer="glorot_uniform", name="scale")

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        features = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        if self.scale is None:
            return features.sum(dim=-1)
        return torch.matmul(features, self.scale)  # fused scale-and-sum


def _scores_mask(
    scores: torch.Tensor, value_mask: torch.Tensor | None, use_causal_mask: bool
) -> torch.Tensor | None:
    """Where attention is allowed: ``(batch, 1, Tv)``, ``(1, Tq, Tv)`` or their AND."""
    mask = None if value_mask is None else value_mask.bool().unsqueeze(-2)
    if use_causal_mask:
        steps_q, steps_v = scores.shape[-2], scores.shape[-1]
        causal = torch.ones(steps_q, steps_v, dtype=torch.bool, device=scores.device).tril()
        mask = causal if mask is None else mask & causal
    return mask


def _is_plain_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _same_size(a: int | None, b: int | None) -> bool:
    return a is None or b is None or a == b
