"""MultiHeadAttention: scaled dot-product attention over several projected heads."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import constraints, initializers, regularizers
from torchseq.layers._query_value_key import (
    QueryValueKeyLayer,
    fused_attention,
    resolve_flash_attention,
    take_attention_sublayer_names,
)
from torchseq.layers.layer import InputSpec
from torchseq.layers.symbolic import KerasTensor
from torchseq.utils.integers import int_or_none, is_int
from torchseq.utils.layouts import inverse

__all__ = ["MultiHeadAttention"]

# Keras's masked softmax puts this in masked positions (not -inf), so a fully masked row
# attends uniformly instead of producing NaN.
_MASKED_SCORE = {torch.float16: -3.0e4}
_DEFAULT_MASKED_SCORE = -1.0e9
_PROJECTIONS = ("query", "key", "value")


class MultiHeadAttention(QueryValueKeyLayer):
    """Multi-head attention (Vaswani et al.); mirrors ``keras.layers.MultiHeadAttention``.

    ``query``, ``key`` and ``value`` are projected to ``num_heads`` heads, each head
    attends with ``softmax(q k^T / sqrt(key_dim)) v`` over the attention axes, and the heads
    are projected back to ``output_shape`` (default: the query's last dimension). Without
    dropout in training and without ``return_attention_scores``, the attention runs as one
    fused ``F.scaled_dot_product_attention``.

    Weights, in Keras's order and layout: ``query_kernel (dim_q, num_heads, key_dim)``,
    ``query_bias (num_heads, key_dim)``, the same for ``key`` and for ``value`` (with
    ``value_dim``), ``output_kernel (num_heads, value_dim, *output_shape)`` and
    ``output_bias (*output_shape)``.

    Args:
        num_heads: Positive int, number of attention heads.
        key_dim: Positive int, size of each head for query and key.
        value_dim: Size of each head for value; default ``key_dim``.
        dropout: Dropout rate of the attention weights in training, in ``[0, 1)``.
        use_bias: Whether the projections have biases.
        output_shape: Int or tuple, the output's trailing shape; default the query's last
            dimension.
        attention_axes: Axes (of the query, batch excluded) attention runs over; default
            all axes between the batch and the features.
        sliding_window: Optional positive int; position ``i`` attends only to ``j`` with
            ``|i - j| < sliding_window``.
        flash_attention: ``None`` (default) follows ``config.is_flash_attention_enabled()``:
            torch's fused kernel of its choice, the flash kernel where it can run, or none but
            flash after ``config.disable_flash_attention()``. ``True`` requires the flash
            kernel (no dropout, no attention scores, float16/bfloat16 on CUDA); ``False``
            keeps the layer off it.
        kernel_initializer, bias_initializer: Defaults ``"glorot_uniform"``, ``"zeros"``.
        kernel_regularizer, bias_regularizer, activity_regularizer: Optional regularizers.
        kernel_constraint, bias_constraint: Optional constraints.
        use_gate: Must be ``False`` (Keras's gated variant is not supported).
        seed: Accepted for Keras compatibility; dropout draws from torch's generator.

    Call arguments:
        query: ``(batch, T, dim_q)`` (or more axes between batch and features).
        value: ``(batch, S, dim_v)``.
        key: Optional ``(batch, S, dim_k)``; default ``value``.
        query_mask, value_mask, key_mask: Optional boolean ``(batch, T)`` / ``(batch, S)``.
        attention_mask: Optional boolean ``(batch, T, S)``; ``True`` where attention is allowed.
        return_attention_scores: Also return the attention weights ``(batch, num_heads, T, S)``.
        training: Whether to apply dropout (default: the layer's mode).
        use_causal_mask: Forbid position ``i`` to attend to positions ``j > i``.

    Output shape: ``(batch, T, dim_q)`` or ``(batch, T, *output_shape)``.

    Example:
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=8)
        >>> x = torch.ones(4, 5, 16)
        >>> layer(x, x).shape
        torch.Size([4, 5, 16])
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape: int | tuple[int, ...] | None = None,
        attention_axes: int | tuple[int, ...] | None = None,
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
        _check_positive_int("num_heads", num_heads)
        _check_positive_int("key_dim", key_dim)
        if value_dim is not None:
            _check_positive_int("value_dim", value_dim)
        if sliding_window is not None:
            _check_positive_int("sliding_window", sliding_window)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)):
            raise TypeError(
                f"MultiHeadAttention: dropout must be a float in [0, 1), received: "
                f"dropout={dropout!r} of type {type(dropout).__name__}"
            )
        if not 0 <= dropout < 1:
            raise ValueError(
                f"MultiHeadAttention: dropout must be in [0, 1), received: dropout={dropout}"
            )
        if use_gate:
            raise ValueError(
                "MultiHeadAttention: use_gate=True (Keras's gated attention) is not supported, "
                "received: use_gate=True"
            )
        output_shape = _standardize_axes("output_shape", output_shape, positive=True)
        attention_axes = _standardize_axes("attention_axes", attention_axes)
        resolved_flash = resolve_flash_attention("MultiHeadAttention", flash_attention, dropout)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads = int(num_heads)
        self.key_dim = int(key_dim)
        self.value_dim = int(value_dim or key_dim)
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self._output_shape = output_shape
        self._attention_axes = attention_axes
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        self._flash_attention = resolved_flash
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = int_or_none(seed)
        self.supports_masking = True
        self._scale = 1.0 / math.sqrt(float(key_dim))
        self._resolved_axes: tuple[int, ...] = ()
        for prefix in (*_PROJECTIONS, "output"):
            self._lazy_weight(f"{prefix}_kernel")
            if self.use_bias:
                self._lazy_weight(f"{prefix}_bias")
            else:
                self.register_parameter(f"{prefix}_bias", None)

    def build(
        self, query_shape: Any, value_shape: tuple | None = None, key_shape: tuple | None = None
    ) -> None:
        query_shape, value_shape, key_shape = self._split_shapes(query_shape, value_shape, key_shape)
        query_shape, value_shape, key_shape = self._check_shapes(
            query_shape, value_shape, key_shape
        )
        rank = len(query_shape) + 1  # of the projected tensors: (batch, ..., heads, size)
        axes = self._attention_axes or tuple(range(1, rank - 2))
        resolved = tuple(axis if axis >= 0 else axis + rank - 1 for axis in axes)
        if any(not 1 <= axis <= rank - 3 for axis in resolved):
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": attention_axes must be axes of the '
                f"query between the batch and the feature axis, i.e. in {list(range(1, rank - 2))}"
                f", received attention_axes={self._attention_axes} for query shape {query_shape}"
            )
        self._resolved_axes = tuple(sorted(set(resolved)))
        heads = self.num_heads
        out_shape = self._output_shape or (query_shape[-1],)
        sizes = {
            "query": (query_shape[-1], self.key_dim),
            "key": (key_shape[-1], self.key_dim),
            "value": (value_shape[-1], self.value_dim),
        }
        for prefix, (dim, head_size) in sizes.items():
            self._add_weights(prefix, (dim, heads, head_size), (heads, head_size), fan_axes=1)
        self._add_weights("output", (heads, self.value_dim, *out_shape), out_shape, fan_axes=2)
        self.input_spec = InputSpec(min_ndim=3, axes={-1: query_shape[-1]})
        take_attention_sublayer_names()

    def _add_weights(
        self, prefix: str, kernel_shape: tuple, bias_shape: tuple, fan_axes: int
    ) -> None:
        fans = (math.prod(kernel_shape[:fan_axes]), math.prod(kernel_shape[fan_axes:]))
        self.add_weight(
            shape=kernel_shape,
            initializer=_flat_initializer(self.kernel_initializer, fans),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name=f"{prefix}_kernel",
        )
        if self.use_bias:
            self.add_weight(
                shape=bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name=f"{prefix}_bias",
            )

    def _check_shapes(self, query_shape: Any, value_shape: Any, key_shape: Any) -> tuple:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if len(query_shape) < 3:
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}" expects a query of rank >= 3 '
                f"(batch, steps, features), received query shape {query_shape}"
            )
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": value and key must agree on all axes '
                f"but the last, received value shape {value_shape} and key shape {key_shape}"
            )
        if len(value_shape) != len(query_shape):
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": query and value must have the same '
                f"rank, received query shape {query_shape} and value shape {value_shape}"
            )
        if self.built:
            for prefix, shape in zip(_PROJECTIONS, (query_shape, key_shape, value_shape)):
                expected = getattr(self, f"{prefix}_kernel").shape[0]
                if shape[-1] is not None and shape[-1] != expected:
                    raise ValueError(
                        f'MultiHeadAttention layer "{self.name}": expected {prefix} with last '
                        f"dimension {expected}, received {prefix} shape {shape}"
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
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                f'MultiHeadAttention layer "{self.name}": flash attention cannot return '
                "attention scores; expected return_attention_scores=False or "
                "flash_attention=False"
            )
        key = value if key is None else key
        self._check_shapes(query.shape, value.shape, key.shape)
        training = self.training if training is None else training
        mask = self._attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        query = self._project(query, "query")
        key = self._project(key, "key")
        value = self._project(value, "value")
        # heads and attention axes last: (batch, <other axes>, heads, positions, size)
        permutation = self._attention_layout(query.ndim)
        q, q_steps = _flatten_attention_axes(query, permutation, len(self._resolved_axes))
        k, k_steps = _flatten_attention_axes(key, permutation, len(self._resolved_axes))
        v, _ = _flatten_attention_axes(value, permutation, len(self._resolved_axes))
        mask = self._flatten_mask(mask, q.ndim, q_steps, k_steps)
        dropout = self.dropout if training else 0.0
        scores = None
        # Keras's explicit path zeroes fully masked rows, its fused path (used without
        # dropout, scores and extra axes) attends uniformly there; elsewhere both agree.
        keras_explicit = self.dropout > 0 or len(self._resolved_axes) > 1 or query.ndim != 4
        if return_attention_scores or (mask is not None and keras_explicit):
            outputs, scores = self._explicit_attention(q, k, v, mask, dropout)
            scores = scores.reshape(*scores.shape[:-2], *q_steps, *k_steps)
        else:
            if mask is not None:
                # an additive bias: SDPA's boolean masks use -inf, Keras uses a large negative
                mask = torch.zeros(mask.shape, dtype=q.dtype, device=q.device).masked_fill_(
                    ~mask, _MASKED_SCORE.get(q.dtype, _DEFAULT_MASKED_SCORE)
                )
            # Where Keras attends explicitly, flash never runs (and a required one is not
            # an error): torch's other kernels give Keras's numbers there.
            outputs = fused_attention(
                q,
                k,
                v,
                attn_mask=mask,
                dropout_p=dropout,
                scale=self._scale,
                flash_attention=False if keras_explicit else self._flash_attention,
            )
        outputs = outputs.reshape(*outputs.shape[:-2], *q_steps, outputs.shape[-1])
        outputs = outputs.permute(inverse(permutation))
        outputs = self._output_projection(outputs)
        return (outputs, scores) if return_attention_scores else outputs

    def _project(self, inputs: torch.Tensor, prefix: str) -> torch.Tensor:
        """``inputs @ kernel + bias`` with the kernel seen as ``(dim, heads * size)``: a view."""
        kernel = getattr(self, f"{prefix}_kernel")
        bias = getattr(self, f"{prefix}_bias")
        flat_bias = None if bias is None else bias.reshape(-1)
        projected = F.linear(inputs, kernel.reshape(kernel.shape[0], -1).t(), flat_bias)
        return projected.unflatten(-1, kernel.shape[1:])

    def _output_projection(self, heads: torch.Tensor) -> torch.Tensor:
        kernel, bias = self.output_kernel, self.output_bias
        flat_kernel = kernel.reshape(self.num_heads * self.value_dim, -1)
        flat_bias = None if bias is None else bias.reshape(-1)
        outputs = F.linear(heads.flatten(-2), flat_kernel.t(), flat_bias)
        return outputs.unflatten(-1, kernel.shape[2:])

    def _attention_layout(self, rank: int) -> tuple[int, ...]:
        others = [axis for axis in range(1, rank - 2) if axis not in self._resolved_axes]
        return (0, *others, rank - 2, *self._resolved_axes, rank - 1)

    def _explicit_attention(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        mask: torch.Tensor | None,
        dropout: float,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        scores = torch.matmul(q * self._scale, k.transpose(-2, -1))
        if mask is not None:
            masked = _MASKED_SCORE.get(scores.dtype, _DEFAULT_MASKED_SCORE)
            scores = scores.masked_fill(~mask, masked)
        weights = torch.softmax(scores, dim=-1)
        if mask is not None:
            weights = weights.masked_fill(~mask, 0.0)
        applied = F.dropout(weights, dropout, training=True) if dropout > 0 else weights
        return torch.matmul(applied, v), weights

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
        """Where attention is allowed, ``(batch, T, S)``-like, from all mask sources (AND)."""
        parts = []
        if query_mask is not None:
            parts.append(query_mask.bool().unsqueeze(-1))
        for mask in (value_mask, key_mask):
            if mask is not None:
                parts.append(mask.bool().unsqueeze(-2))
        if use_causal_mask or self.sliding_window is not None:
            rows = torch.arange(query.shape[1], device=query.device).unsqueeze(-1)
            cols = torch.arange(value.shape[1], device=query.device)
            if use_causal_mask:
                parts.append((rows >= cols).unsqueeze(0))
            if self.sliding_window is not None:
                parts.append(((rows - cols).abs() < self.sliding_window).unsqueeze(0))
        if attention_mask is not None:
            parts.append(attention_mask.bool())
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined

    def _flatten_mask(
        self, mask: torch.Tensor | None, rank: int, q_steps: tuple, k_steps: tuple
    ) -> torch.Tensor | None:
        """Keras's mask ``(batch, ..., <query axes>, <key axes>)`` in the flattened layout."""
        if mask is None:
            return None
        n_axes = len(self._resolved_axes)
        full_rank = rank - 2 + 2 * n_axes
        while mask.ndim < full_rank:  # a head axis (and others) in front of the attention axes
            mask = mask.unsqueeze(-2 * n_axes - 1)
        if n_axes == 1:
            return mask
        leading = mask.shape[: -2 * n_axes]
        mask = mask.expand(*leading, *q_steps, *k_steps)
        return mask.reshape(*leading, math.prod(q_steps), math.prod(k_steps))

    def compute_output_shape(
        self, query_shape: tuple, value_shape: tuple | None = None, key_shape: tuple | None = None
    ) -> tuple:
        if value_shape is None and isinstance(query_shape, list):
            query_shape, value_shape, *rest = query_shape
            key_shape = rest[0] if rest else None
        query_shape, value_shape, key_shape = self._check_shapes(
            query_shape, value_shape if value_shape is not None else query_shape, key_shape
        )
        return (*query_shape[:-1], *(self._output_shape or query_shape[-1:]))

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
        rank = len(query.shape) + 1
        axes = self._resolved_axes
        others = [query.shape[axis] for axis in range(1, rank - 2) if axis not in axes]
        q_steps = [query.shape[axis] for axis in axes]
        k_steps = [value.shape[axis] for axis in axes]
        scores_shape = (query.shape[0], *others, self.num_heads, *q_steps, *k_steps)
        return output, KerasTensor(scores_shape, self._dtype)

    def keras_state_tree(self) -> list[tuple[str, str, list[tuple[torch.Tensor, Any]]]]:
        """Where Keras's weights files keep this layer's weights.

        Keras holds each projection in an ``EinsumDense`` sub-layer (``query_dense`` named
        ``query``, ...); torchseq keeps them on the layer itself. Returns
        ``(path relative to the layer, name, [(weight, layout), ...])`` per group.
        """
        groups: list[tuple[str, str, list[tuple[torch.Tensor, Any]]]] = [("", self.name, [])]
        for prefix, name in (("key", "key"), ("output", "attention_output"),
                             ("query", "query"), ("value", "value")):
            weights = [
                (self._parameters[key], self._weight_specs[key].layout)
                for key in (f"{prefix}_kernel", f"{prefix}_bias")
                if key in self._weight_specs
            ]
            groups.append((f"{prefix}_dense", name, weights))
        return groups

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": False,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


def _flatten_attention_axes(
    tensor: torch.Tensor, permutation: tuple[int, ...], n_axes: int
) -> tuple[torch.Tensor, tuple[int, ...]]:
    """Permute to ``(batch, <others>, heads, <attention axes>, size)``, flatten the attention axes."""
    tensor = tensor.permute(permutation)
    steps = tuple(tensor.shape[-1 - n_axes : -1])
    if n_axes == 1:
        return tensor, steps
    return tensor.flatten(-1 - n_axes, -2), steps


def _flat_initializer(initializer: Callable[..., Any], fans: tuple[int, int]) -> Callable:
    """Initialise a multi-axis kernel as the ``(fan_in, fan_out)`` matrix it acts as."""

    def initialize(shape: tuple, dtype: Any = None) -> torch.Tensor:
        value = torch.as_tensor(initializer(fans, dtype=dtype))
        return value.reshape(shape)

    return initialize


def _check_positive_int(name: str, value: Any) -> None:
    if not is_int(value) or value <= 0:
        raise ValueError(
            f"MultiHeadAttention: {name} must be a positive integer, received: {name}={value!r}"
        )


def _standardize_axes(name: str, value: Any, positive: bool = False) -> tuple[int, ...] | None:
    if value is None:
        return None
    if is_int(value):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not all(
        is_int(v) for v in value
    ):
        raise TypeError(
            f"MultiHeadAttention: {name} must be an int or a tuple of ints, "
            f"received: {name}={value!r}"
        )
    if positive and any(v <= 0 for v in value):
        raise ValueError(
            f"MultiHeadAttention: {name} must hold positive sizes, received: {name}={value!r}"
        )
    return tuple(int(v) for v in value) or None
