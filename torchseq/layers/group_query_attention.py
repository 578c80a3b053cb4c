"""GroupQueryAttention: attention whose key/value heads are shared by groups of query heads."""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from torchseq import constraints, initializers, regularizers
from torchseq.layers._query_value_key import QueryValueKeyLayer, take_attention_sublayer_names
from torchseq.layers.einsum_dense import EinsumDense
from torchseq.layers.symbolic import KerasTensor
from torchseq.utils import naming

__all__ = ["GroupQueryAttention"]

# Keras's explicit (scores) path masks with -1e9 (-3e4 in float16) before the softmax and
# zeroes masked weights after it; its fused path adds 0.7 * the dtype's lowest value.
_SOFTMAX_MASKED = {torch.float16: -3.0e4}
_FUSED_MASKED_FACTOR = -0.7


class GroupQueryAttention(QueryValueKeyLayer):
    """Grouped-query attention (Ainslie et al., 2023); mirrors ``keras.layers.GroupQueryAttention``.

    ``query`` is projected to ``num_query_heads`` heads, ``key`` and ``value`` to
    ``num_key_value_heads`` heads, each shared by ``num_query_heads // num_key_value_heads``
    consecutive query heads; every head attends with ``softmax(q k^T / sqrt(head_dim)) v``
    and the heads are projected back to the query's feature size. ``num_key_value_heads=1``
    is multi-query attention; equal head counts are multi-head attention.

    The projections are ``EinsumDense`` sub-layers named as in Keras: ``query``
    (``bqm,muh->bquh``), ``key`` and ``value`` (``bkm,mvh->bkvh``), the optional ``gate``
    (``use_gate=True``: a sigmoid projection of the query that multiplies the attention
    output) and ``attention_output`` (``bquh,uhm->bqm``). Without dropout and without
    ``return_attention_scores`` the attention runs as one fused
    ``F.scaled_dot_product_attention`` over the shared heads.

    Args:
        head_dim: Positive int, size of each head.
        num_query_heads: Positive int, number of query heads.
        num_key_value_heads: Positive int dividing ``num_query_heads``.
        dropout: Dropout rate of the attention weights in training, in ``[0, 1)``.
        use_bias: Whether the projections have biases. Default ``True``.
        sliding_window: Optional positive int; position ``i`` attends only to ``j`` with
            ``|i - j| < sliding_window``.
        flash_attention: ``True`` forbids dropout and attention scores (as Keras's flash
            path does); torch chooses its fused kernel either way. Not part of the config.
        kernel_initializer, bias_initializer: Defaults ``"glorot_uniform"``, ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers
            (the activity regularizer applies to every projection's output too, as in Keras).
        kernel_constraint, bias_constraint: Optional constraints.
        use_gate: Whether to gate the attention output with ``sigmoid(gate(query))``.
        seed: Accepted for Keras compatibility; dropout draws from torch's generator.

    Call arguments:
        query: ``(batch, T, dim)``.
        value: ``(batch, S, dim_v)``.
        key: Optional ``(batch, S, dim_k)``; default ``value``.
        query_mask, value_mask, key_mask: Optional boolean ``(batch, T)`` / ``(batch, S)``.
        attention_mask: Optional boolean ``(batch, T, S)``; ``True`` where attention is allowed.
        return_attention_scores: Also return the weights ``(batch, num_query_heads, T, S)``.
        training: Whether to apply dropout (default: the layer's mode).
        use_causal_mask: Forbid position ``i`` to attend to positions ``j > i``.

    Output shape: ``(batch, T, dim)``.

    Example:
        >>> layer = GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
        >>> x = torch.ones(2, 5, 8)
        >>> layer(x, x).shape
        torch.Size([2, 5, 8])
    """

    # Keras's Python class is ``GroupedQueryAttention``, exported as ``GroupQueryAttention``:
    # configs carry the exported name, while default layer names and a model weights file's
    # group for the layer (``layers/grouped_query_attention``) follow the Python name.
    keras_python_name: ClassVar[str] = "GroupedQueryAttention"

    def __init__(
        self,
        head_dim: int,
        num_query_heads: int,
        num_key_value_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        use_gate: bool = False,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        for name, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            _check_positive_int(name, value)
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                "GroupQueryAttention: num_query_heads must be divisible by "
                f"num_key_value_heads, received: num_query_heads={num_query_heads}, "
                f"num_key_value_heads={num_key_value_heads}"
            )
        if sliding_window is not None:
            _check_positive_int("sliding_window", sliding_window)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise TypeError(
                f"GroupQueryAttention: dropout must be a float in [0, 1), received: "
                f"dropout={dropout!r}"
            )
        if not 0 <= dropout < 1:
            raise ValueError(
                f"GroupQueryAttention: dropout must be in [0, 1), received: dropout={dropout}"
            )
        if flash_attention and dropout > 0:
            raise ValueError(
                "GroupQueryAttention: flash_attention=True does not support dropout; expected "
                f"dropout=0.0, received: dropout={dropout}"
            )
        if kwargs.get("name") is None:
            kwargs["name"] = naming.unique_name(naming.to_snake_case(self.keras_python_name))
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.head_dim = int(head_dim)
        self.num_query_heads = int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.supports_masking = True
        self._scale = 1.0 / math.sqrt(float(head_dim))
        # Created in Keras's order (query, key, gate, value, output), which is the order of
        # the weights; the output projection learns its width (the query's) in build.
        heads = (None, num_query_heads, head_dim)
        self._query_dense = self._projection("bqm,muh->bquh", heads, "uh", "query")
        self._key_dense = self._projection(
            "bkm,mvh->bkvh", (None, num_key_value_heads, head_dim), "vh", "key"
        )
        if self.use_gate:
            self._gate_dense = self._projection(
                "bqm,muh->bquh", heads, "uh", "gate", activation="sigmoid"
            )
        self._value_dense = self._projection(
            "bkm,mvh->bkvh", (None, num_key_value_heads, head_dim), "vh", "value"
        )
        self._output_dense = self._projection("bquh,uhm->bqm", (None, 1), "m", "attention_output")

    def _projection(
        self, equation: str, output_shape: tuple, bias_axes: str, name: str, **kwargs: Any
    ) -> EinsumDense:
        """A projection sub-layer with its own copies of the initializers (Keras's rule: one
        shared initializer would give every projection the same seeded values)."""
        return EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes if self.use_bias else None,
            kernel_initializer=_copy(self.kernel_initializer),
            bias_initializer=_copy(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype,
            name=name,
            **kwargs,
        )

    def build(
        self, query_shape: Any, value_shape: tuple | None = None, key_shape: tuple | None = None
    ) -> None:
        query_shape, value_shape, key_shape = self._split_shapes(query_shape, value_shape, key_shape)
        query_shape, value_shape, key_shape = self._check_ranks(query_shape, value_shape, key_shape)
        self._output_dense.partial_output_shape = (None, query_shape[-1])
        self._query_dense._build_for(query_shape)
        self._key_dense._build_for(key_shape)
        if self.use_gate:
            self._gate_dense._build_for(query_shape)
        self._value_dense._build_for(value_shape)
        self._output_dense._build_for((None, None, self.num_query_heads, self.head_dim))
        take_attention_sublayer_names()

    def _check_ranks(self, query_shape: Any, value_shape: Any, key_shape: Any) -> tuple:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(
                    f'GroupQueryAttention layer "{self.name}" expects a {name} of rank 3 '
                    f"(batch, steps, features), received {name} shape {shape}"
                )
        return query_shape, value_shape, key_shape

    def call(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        key: torch.Tensor | None = None,
        query_mask: torch.Tensor | None = None,
        value_mask: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        return_attention_scores: bool = False,
        training: bool | None = None,
        use_causal_mask: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if self.flash_attention and return_attention_scores:
            raise ValueError(
                f'GroupQueryAttention layer "{self.name}": flash_attention=True cannot return '
                "attention scores; expected return_attention_scores=False"
            )
        key = value if key is None else key
        training = self.training if training is None else training
        # A causal mask alone runs as the fused kernel's is_causal, without a (T, S) mask.
        causal_only = (
            use_causal_mask
            and self.sliding_window is None
            and all(m is None for m in (query_mask, value_mask, key_mask, attention_mask))
        )
        mask = None
        if not causal_only:
            mask = self._attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        gate = self._gate_dense(query) if self.use_gate else None
        query = self._query_dense(query)  # (batch, T, query heads, head_dim)
        key = self._key_dense(key)  # (batch, S, key/value heads, head_dim)
        value = self._value_dense(value)
        scores = None
        if self.dropout > 0 or return_attention_scores:
            if causal_only:
                mask = _causal_mask(query.shape[1], value.shape[1], query.device)
            outputs, scores = self._explicit_attention(query, key, value, mask, training)
        else:
            outputs = self._fused_attention(query, key, value, mask, causal_only)
        if gate is not None:
            outputs = outputs * gate
        outputs = self._output_dense(outputs)
        return (outputs, scores) if return_attention_scores else outputs

    def _fused_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None,
        is_causal: bool,
    ) -> torch.Tensor:
        bias = None
        if mask is not None:
            mask = _heads_axis(mask)
            lowest = _FUSED_MASKED_FACTOR * torch.finfo(query.dtype).max
            bias = torch.zeros(mask.shape, dtype=query.dtype, device=query.device)
            bias = bias.masked_fill_(~mask, lowest)
        outputs = F.scaled_dot_product_attention(
            query.transpose(1, 2),
            key.transpose(1, 2),
            value.transpose(1, 2),
            attn_mask=bias,
            is_causal=is_causal,
            scale=self._scale,
            enable_gqa=self.num_repeats > 1,
        )
        return outputs.transpose(1, 2)

    def _explicit_attention(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None,
        training: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        key = key.repeat_interleave(self.num_repeats, dim=2)
        value = value.repeat_interleave(self.num_repeats, dim=2)
        scores = torch.einsum("bquh,bkuh->buqk", query * self._scale, key)
        if mask is not None:
            mask = _heads_axis(mask)
            scores = scores.masked_fill(~mask, _SOFTMAX_MASKED.get(scores.dtype, -1.0e9))
        weights = torch.softmax(scores, dim=-1)
        if mask is not None:
            weights = weights.masked_fill(~mask, 0.0)
        dropped = F.dropout(weights, self.dropout, training=training) if self.dropout else weights
        return torch.einsum("buqk,bkuh->bquh", dropped, value), weights

    def _attention_mask(
        self,
        query: torch.Tensor,
        value: torch.Tensor,
        query_mask: torch.Tensor | None,
        value_mask: torch.Tensor | None,
        key_mask: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        use_causal_mask: bool,
    ) -> torch.Tensor | None:
        """Where attention is allowed, ``(batch, T, S)``-like: all mask sources ANDed."""
        parts = []
        if query_mask is not None:
            parts.append(query_mask.bool().unsqueeze(-1))
        for mask in (value_mask, key_mask):
            if mask is not None:
                parts.append(mask.bool().unsqueeze(-2))
        steps = (query.shape[1], value.shape[1])
        if use_causal_mask:
            parts.append(_causal_mask(*steps, query.device))
        if self.sliding_window is not None:
            rows = torch.arange(steps[0], device=query.device).unsqueeze(-1)
            cols = torch.arange(steps[1], device=query.device)
            parts.append(((rows - cols).abs() < self.sliding_window).unsqueeze(0))
        if attention_mask is not None:
            parts.append(attention_mask.bool())
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined

    def compute_output_shape(
        self, query_shape: Any, value_shape: tuple | None = None, key_shape: tuple | None = None
    ) -> tuple:
        if value_shape is None and isinstance(query_shape, list):
            query_shape, value_shape, *rest = query_shape
            key_shape = rest[0] if rest else None
        query_shape = tuple(query_shape)
        value_shape = query_shape if value_shape is None else tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                f'GroupQueryAttention layer "{self.name}": the last dimensions of query and '
                f"value must be equal, received query shape {query_shape} and value shape "
                f"{value_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f'GroupQueryAttention layer "{self.name}": value and key must agree on all axes '
                f"but the last, received value shape {value_shape} and key shape {key_shape}"
            )
        return query_shape

    def compute_output_spec(
        self,
        query: KerasTensor,
        value: KerasTensor,
        key: KerasTensor | None = None,
        return_attention_scores: bool = False,
        **kwargs: Any,
    ) -> KerasTensor | tuple[KerasTensor, KerasTensor]:
        key_shape = None if key is None else key.shape
        output = KerasTensor(
            self.compute_output_shape(query.shape, value.shape, key_shape), self._dtype
        )
        if not return_attention_scores:
            return output
        source = value.shape[1] if key is None else key.shape[1]
        scores = (query.shape[0], self.num_query_heads, query.shape[1], source)
        return output, KerasTensor(scores, self._dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "dropout": self.dropout,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


def _causal_mask(query_steps: int, value_steps: int, device: torch.device) -> torch.Tensor:
    """``(1, T, S)``: position ``i`` may attend to ``j <= i``."""
    rows = torch.arange(query_steps, device=device).unsqueeze(-1)
    return (rows >= torch.arange(value_steps, device=device)).unsqueeze(0)


def _heads_axis(mask: torch.Tensor) -> torch.Tensor:
    """A ``(batch, T, S)``-like mask with axes for the heads: ``(batch, 1, T, S)``."""
    while mask.ndim < 4:
        mask = mask.unsqueeze(-3)
    return mask


def _copy(initializer: Any) -> Any:
    if not hasattr(initializer, "get_config"):  # a plain function
        return initializer
    return type(initializer).from_config(initializer.get_config())


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(
            f"GroupQueryAttention: {name} must be a positive integer, received: {name}={value!r}"
        )
