"""Multi-tensor updates scaled by a per-step number that is a float or a 0-d tensor.

Eagerly an update's per-step numbers (rate, step size, bias corrections) are Python
floats, passed as the ``alpha=`` / ``value=`` of torch's ``_foreach`` ops. In the compiled
training step (``jit_compile=True``) they are 0-d tensors instead: ``torch.compile``
specializes a graph on every float a ``_foreach`` op takes as a scalar, so a float that
changes per step would compile a graph per step. These functions take either, so an
optimizer's ``_update`` is the same code on both paths; a tensor scale costs an extra
multiply, which the compiler fuses away.
"""

from __future__ import annotations

import torch

__all__ = ["add_scalar_", "add_scaled_", "addcdiv_"]

Scale = float | torch.Tensor


def add_scalar_(tensors: list[torch.Tensor], scalar: Scale) -> None:
    """``tensors += scalar``, in place."""
    if isinstance(scalar, torch.Tensor):
        # Traced, the single-tensor overload reads the number back to the host (a graph
        # break); the list overload broadcasts it on the device.
        torch._foreach_add_(tensors, [scalar] * len(tensors))
    else:
        torch._foreach_add_(tensors, scalar)


def add_scaled_(tensors: list[torch.Tensor], others: list[torch.Tensor], scale: Scale) -> None:
    """``tensors += scale * others``, in place."""
    if isinstance(scale, torch.Tensor):
        torch._foreach_add_(tensors, torch._foreach_mul(others, scale))
    else:
        torch._foreach_add_(tensors, others, alpha=scale)


def addcdiv_(
    tensors: list[torch.Tensor],
    numerators: list[torch.Tensor],
    denominators: list[torch.Tensor],
    scale: Scale,
) -> None:
    """``tensors += scale * numerators / denominators``, in place."""
    if isinstance(scale, torch.Tensor):
        quotients = torch._foreach_div(numerators, denominators)
        torch._foreach_add_(tensors, torch._foreach_mul(quotients, scale))
    else:
        torch._foreach_addcdiv_(tensors, numerators, denominators, value=scale)
