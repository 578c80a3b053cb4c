"""The activations ``keras.ops`` adds beyond the classic ones: shrinks, sparse and hard variants.

The classic activations (``relu``, ``gelu``, ``softmax`` ...) live in :mod:`torchseq.ops._nn`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from torchseq.ops._convert import Tensor, TensorLike, _floating

__all__ = [
    "celu",
    "glu",
    "hard_shrink",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "soft_shrink",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "tanh_shrink",
    "threshold",
]


def celu(x: TensorLike, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU: ``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``.

    Args:
        x: Input tensor.
        alpha: The value the negative part tends to (default 1.0).
    """
    return F.celu(_floating(x), alpha=alpha)


def glu(x: TensorLike, axis: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` where ``x`` is split in halves ``a, b`` along ``axis``.

    Args:
        x: Input tensor; its size along ``axis`` must be even.
        axis: The axis to split (default -1).
    """
    x = _floating(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu expected an even size along axis={axis}, received: x.shape={tuple(x.shape)}"
        )
    return F.glu(x, dim=axis)


def hard_silu(x: TensorLike) -> Tensor:
    """Hard SiLU (hard swish): ``x * relu6(x + 3) / 6``."""
    return F.hardswish(_floating(x))


hard_swish = hard_silu


def hard_tanh(x: TensorLike) -> Tensor:
    """``x`` clipped to ``[-1, 1]``."""
    return F.hardtanh(_floating(x), min_val=-1.0, max_val=1.0)


def hard_shrink(x: TensorLike, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, else 0.

    Args:
        x: Input tensor.
        threshold: The half-width of the zeroed band (default 0.5).
    """
    return F.hardshrink(_floating(x), lambd=threshold)


def soft_shrink(x: TensorLike, threshold: float = 0.5) -> Tensor:
    """``x`` moved towards 0 by ``threshold``, and 0 where ``|x| <= threshold``.

    Args:
        x: Input tensor.
        threshold: The amount of shrinkage (default 0.5).
    """
    return F.softshrink(_floating(x), lambd=threshold)


def tanh_shrink(x: TensorLike) -> Tensor:
    """``x - tanh(x)``."""
    return F.tanhshrink(_floating(x))


def threshold(x: TensorLike, threshold: float, default_value: float) -> Tensor:
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Input tensor.
        threshold: Values at or below it are replaced.
        default_value: Their replacement.
    """
    return F.threshold(_floating(x), threshold, default_value)


def sparse_plus(x: TensorLike) -> Tensor:
    """0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``."""
    x = _floating(x)
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x < 1, (x + 1) ** 2 / 4, x))


def sparse_sigmoid(x: TensorLike) -> Tensor:
    """``(x + 1) / 2`` clipped to ``[0, 1]``: 0 below -1 and 1 above 1."""
    return ((_floating(x) + 1) / 2).clamp(0.0, 1.0)


def squareplus(x: TensorLike, b: float = 4) -> Tensor:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth approximation of ``relu``.

    Args:
        x: Input tensor.
        b: Non-negative smoothness (default 4).
    """
    if b < 0:
        raise ValueError(f"squareplus expected b >= 0, received: b={b}")
    x = _floating(x)
    return (x + torch.sqrt(x * x + b)) / 2


def sparsemax(x: TensorLike, axis: int = -1) -> Tensor:
    """The Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like ``softmax`` the result sums to one along ``axis``, but small entries become exactly 0.

    Args:
        x: Input tensor.
        axis: The axis to normalise (default -1).
    """
    x = _floating(x)
    moved = torch.movedim(x, axis, -1)
    ordered = moved.sort(dim=-1, descending=True).values
    running = ordered.cumsum(dim=-1)
    ranks = torch.arange(1, moved.shape[-1] + 1, dtype=x.dtype, device=x.device)
    support = ranks * ordered > running - 1
    size = support.sum(dim=-1, keepdim=True)
    tau = (running.gather(-1, size - 1) - 1) / size.to(x.dtype)
    return torch.movedim((moved - tau).clamp(min=0.0), -1, axis)
