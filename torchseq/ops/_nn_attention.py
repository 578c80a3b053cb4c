"""``dot_product_attention`` (``keras.ops`` nn) on torch's fused ``scaled_dot_product_attention``."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torchseq.ops._convert import Tensor, TensorLike, _operands, _to_tensor

__all__ = ["dot_product_attention"]

# A masked logit is this fraction of the dtype's lowest value: low enough to vanish in the
# softmax, far enough from -inf that a fully masked row averages instead of giving NaN.
_MASKED_FRACTION = 0.7


def _flash_attention_usable(
    query: Tensor, key: Tensor, value: Tensor, bias: Tensor | None, is_causal: bool
) -> bool:
    if query.device.type != "cuda" or bias is not None:
        return False
    try:
        from torch.backends.cuda import SDPAParams, can_use_flash_attention
    except ImportError:
        return False
    try:
        params = SDPAParams(query, key, value, None, 0.0, is_causal, False)
    except TypeError:  # torch < 2.5 takes no enable_gqa
        params = SDPAParams(query, key, value, None, 0.0, is_causal)
    return bool(can_use_flash_attention(params, False))


def dot_product_attention(
    query: TensorLike,
    key: TensorLike,
    value: TensorLike,
    bias: TensorLike | None = None,
    mask: TensorLike | None = None,
    scale: TensorLike | None = None,
    is_causal: bool = False,
    flash_attention: bool | None = None,
    attn_logits_soft_cap: float | None = None,
) -> Tensor:
    """Scaled dot-product attention over ``(batch, length, heads, head_dim)`` tensors; mirrors
    ``keras.ops.dot_product_attention``.

    Key/value with fewer heads than the query (grouped-query attention) are repeated to match.

    Args:
        query: ``(batch, query_length, heads, head_dim)``.
        key: ``(batch, key_length, kv_heads, head_dim)``; ``heads`` a multiple of ``kv_heads``.
        value: ``(batch, key_length, kv_heads, value_dim)``.
        bias: Optional additive bias broadcastable to ``(batch, heads, query_length,
            key_length)``; not together with ``mask``.
        mask: Optional boolean mask of that shape: ``True`` where attention is allowed.
        scale: The logits' factor; default ``1 / sqrt(head_dim)``.
        is_causal: Whether each query sees only keys up to its own position (default False).
        flash_attention: ``None`` (default) uses flash attention when torch can; ``True``
            requires it (an error where it cannot run); ``False`` never uses it.
        attn_logits_soft_cap: Only ``None``: Keras supports it on JAX/TPU alone.

    Returns:
        ``(batch, query_length, heads, value_dim)``.
    """
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention expected attn_logits_soft_cap=None (Keras supports it only "
            f"for JAX on TPU), received: attn_logits_soft_cap={attn_logits_soft_cap!r}"
        )
    query, key, value = _operands(query, key, value)
    if query.ndim != 4 or key.ndim != 4 or value.ndim != 4:
        raise ValueError(
            "dot_product_attention expected 4-D (batch, length, heads, head_dim) inputs, "
            f"received: query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
            f"value.shape={tuple(value.shape)}"
        )
    if bias is not None and mask is not None:
        raise ValueError(
            "dot_product_attention expected at most one of bias and mask, received both"
        )
    dtype = torch.promote_types(torch.promote_types(query.dtype, key.dtype), value.dtype)
    if not dtype.is_floating_point:
        dtype = torch.promote_types(dtype, torch.float32)
    query, key, value = (t.to(dtype).transpose(1, 2) for t in (query, key, value))
    heads, kv_heads = query.shape[1], key.shape[1]
    if heads != kv_heads:
        if heads % kv_heads:
            raise ValueError(
                f"dot_product_attention expected the query's heads ({heads}) to be a multiple "
                f"of the key's ({kv_heads}), received: query.shape={tuple(query.shape)}, "
                f"key.shape={tuple(key.shape)}"
            )
        key = key.repeat_interleave(heads // kv_heads, dim=1)
        value = value.repeat_interleave(heads // kv_heads, dim=1)
    additive = None
    if bias is not None:
        additive = _to_tensor(bias, dtype=dtype, device=query.device)
    allowed = None if mask is None else _to_tensor(mask, dtype=torch.bool, device=query.device)
    if is_causal and (allowed is not None or additive is not None):
        # torch treats a mask and is_causal as exclusive: fold the causal rule into the mask.
        causal = torch.ones(query.shape[2], key.shape[2], dtype=torch.bool, device=query.device)
        allowed = causal.tril() if allowed is None else allowed & causal.tril()
        is_causal = False
    if allowed is not None:
        masked = torch.tensor(
            torch.finfo(dtype).min * _MASKED_FRACTION, dtype=dtype, device=query.device
        )
        additive = torch.where(
            allowed, additive if additive is not None else masked.new_zeros(()), masked
        )
    if scale is not None and not isinstance(scale, (int, float)):
        scale = float(_to_tensor(scale))  # torch's kernel takes the factor as a number
    if flash_attention is None:
        flash_attention = _flash_attention_usable(query, key, value, additive, is_causal)
    elif flash_attention and not _flash_attention_usable(query, key, value, additive, is_causal):
        raise RuntimeError(
            "dot_product_attention(flash_attention=True): torch cannot run flash attention on "
            f"these inputs (device={query.device.type}, dtype={dtype}, "
            f"bias or mask given: {additive is not None}); pass flash_attention=None or False"
        )
    arguments = {"attn_mask": additive, "is_causal": is_causal, "scale": scale}
    if flash_attention:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
            outputs = F.scaled_dot_product_attention(query, key, value, **arguments)
    else:
        outputs = F.scaled_dot_product_attention(
            query.contiguous(), key.contiguous(), value.contiguous(), **arguments
        )
    return outputs.transpose(1, 2)
