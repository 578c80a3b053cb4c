"""Gradient clipping as Keras 3 applies it, on lists of tensors with multi-tensor ops.

Every function returns new tensors and leaves its input (usually ``p.grad``) as it
was; nothing reads a value back to the host.
"""

from __future__ import annotations

import torch

__all__ = ["clip_by_global_norm", "clip_by_norm", "clip_by_value"]


def clip_by_norm(grads: list[torch.Tensor], clipnorm: float) -> list[torch.Tensor]:
    """Scale each tensor whose L2 norm exceeds ``clipnorm`` down to that norm.

    ``g * clipnorm / max(||g||, clipnorm)``, as Keras computes it.
    """
    norms = torch._foreach_norm(grads)
    torch._foreach_maximum_(norms, clipnorm)
    return torch._foreach_div(torch._foreach_mul(grads, clipnorm), norms)


def clip_by_global_norm(grads: list[torch.Tensor], clipnorm: float) -> list[torch.Tensor]:
    """Scale all tensors together so that their joint L2 norm is at most ``clipnorm``.

    A non-finite joint norm makes every value NaN, as in Keras (and TensorFlow).
    """
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    scale = clipnorm * torch.clamp(1.0 / norm, max=1.0 / clipnorm)
    scale = scale + (norm - norm)
    return torch._foreach_mul(grads, scale)


def clip_by_value(grads: list[torch.Tensor], clipvalue: float) -> list[torch.Tensor]:
    """Clamp every element to ``[-clipvalue, clipvalue]``."""
    clipped = torch._foreach_clamp_min(grads, -clipvalue)
    torch._foreach_clamp_max_(clipped, clipvalue)
    return clipped
