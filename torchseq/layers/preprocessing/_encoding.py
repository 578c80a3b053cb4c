"""The output encodings shared by the lookups, ``CategoryEncoding``, ``Hashing``,
``Discretization`` and ``TextVectorization``: one-hot, multi-hot, counts and TF-IDF.

Indices outside ``[0, depth)`` (a lookup's mask position is passed as ``-1``) add nothing,
as TensorFlow's bincount drops them in Keras. Everything is batched torch on the indices'
device: a scatter into ``depth + 1`` bins whose last bin collects the dropped indices.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["OUTPUT_MODES", "encode", "encoded_shape", "normalize_output_mode"]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


def normalize_output_mode(layer: str, output_mode: Any, allowed: tuple[str, ...]) -> str:
    """Keras's spellings (``"binary"``, ``"tf-idf"``) resolved, then checked against ``allowed``."""
    mode = _ALIASES.get(output_mode, output_mode) if isinstance(output_mode, str) else output_mode
    if mode not in allowed:
        raise ValueError(
            f"{layer}: output_mode must be one of {list(allowed)}, received: "
            f"output_mode={output_mode!r}"
        )
    return mode


def encoded_shape(input_shape: tuple, output_mode: str, depth: int | None) -> tuple:
    """The shape :func:`encode` gives for an input of ``input_shape``."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return (*input_shape[:-1], depth)
        return (*input_shape, depth)
    return (*input_shape[:-1], depth)


def encode(
    indices: torch.Tensor,
    output_mode: str,
    depth: int,
    dtype: torch.dtype,
    *,
    count_weights: torch.Tensor | None = None,
    idf_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Encode integer ``indices`` as ``output_mode`` vectors of size ``depth``.

    ``one_hot`` encodes every element (a trailing axis of size 1 is replaced); ``multi_hot``,
    ``count`` and ``tf_idf`` encode each sample's last axis into one vector.

    Args:
        indices: Integer tensor of any rank.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        depth: The number of bins.
        dtype: The output dtype.
        count_weights: Optional weights, ``indices``' shape, summed instead of counting 1s.
        idf_weights: For ``"tf_idf"``: a ``(depth,)`` tensor multiplying the counts.

    Returns:
        The encoded tensor (see :func:`encoded_shape`).
    """
    if output_mode == "int":
        return indices.to(dtype)
    indices = indices.long()
    if indices.ndim == 0:
        indices = indices.unsqueeze(0)
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices.squeeze(-1)
        indices = indices.unsqueeze(-1)
    kept = (indices >= 0) & (indices < depth)
    slots = torch.where(kept, indices, depth)
    if count_weights is not None:
        values = count_weights.to(dtype).expand(slots.shape)
    else:
        values = torch.ones(slots.shape, dtype=dtype, device=slots.device)
    bins = torch.zeros((*slots.shape[:-1], depth + 1), dtype=dtype, device=slots.device)
    if output_mode in ("one_hot", "multi_hot"):
        bins.scatter_(-1, slots, values)
    else:
        bins.scatter_add_(-1, slots, values)
    encoded = bins[..., :depth]
    if output_mode == "tf_idf":
        encoded = encoded * idf_weights.to(device=encoded.device, dtype=dtype)
    return encoded
