"""Seeded sampling: ``RandomNormal``, ``TruncatedNormal``, ``RandomUniform``, ``Orthogonal``."""

from __future__ import annotations

import math
from typing import Any

import torch

from torchseq.initializers._base import DType, Initializer, Shape, _float_dtype, _standardize_shape
from torchseq.utils.integers import is_int

__all__ = [
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
]


class _RandomInitializer(Initializer):
    """Holds the seed: an int gives the same values on every call, ``None`` the global RNG."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not is_int(seed):
            raise TypeError(
                f"seed must be an int or None, received: seed={seed!r} "
                f"of type {type(seed).__name__}"
            )
        self.seed = None if seed is None else int(seed)

    def _generator(self) -> torch.Generator | None:
        if self.seed is None:
            return None
        return torch.Generator().manual_seed(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Normal distribution.

    Args:
        mean: Mean. Defaults to ``0.0``.
        stddev: Standard deviation. Defaults to ``0.05``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        dtype = _float_dtype(dtype, type(self).__name__)
        out = _empty_for_sampling(shape, dtype)
        return out.normal_(self.mean, self.stddev, generator=self._generator()).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_RandomInitializer):
    """Normal distribution with values beyond two standard deviations of the mean redrawn.

    Args:
        mean: Mean. Defaults to ``0.0``.
        stddev: Standard deviation before truncation. Defaults to ``0.05``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        dtype = _float_dtype(dtype, type(self).__name__)
        out = _empty_for_sampling(shape, dtype)
        return _truncated_normal_(out, self.mean, self.stddev, self._generator()).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Args:
        minval: Lower bound. Defaults to ``-0.05``.
        maxval: Upper bound. Defaults to ``0.05``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        dtype = _float_dtype(dtype, type(self).__name__)
        out = _empty_for_sampling(shape, dtype)
        return out.uniform_(self.minval, self.maxval, generator=self._generator()).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample, times ``gain``.

    The shape is viewed as a matrix ``(prod(shape[:-1]), shape[-1])``; its rows
    or columns, whichever are fewer, are orthonormal.

    Args:
        gain: Multiplier. Defaults to ``1.0``.
        seed: An int for reproducible values, or ``None``.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        shape = _standardize_shape(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer expected a shape of rank >= 2, received: shape={shape} "
                f"of rank {len(shape)}"
            )
        dtype = _float_dtype(dtype, "Orthogonal")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        sample = _empty_for_sampling((max(rows, cols), min(rows, cols)), dtype)
        q, r = torch.linalg.qr(sample.normal_(generator=self._generator()))
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


def _empty_for_sampling(shape: Shape, dtype: torch.dtype) -> torch.Tensor:
    """An empty float32 (float64 for float64) tensor: half types are sampled in float32."""
    sample_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    return torch.empty(_standardize_shape(shape), dtype=sample_dtype)


def _truncated_normal_(
    out: torch.Tensor, mean: float, stddev: float, generator: torch.Generator | None
) -> torch.Tensor:
    """Fill ``out`` from a normal truncated to ``mean ± 2 * stddev``, as Keras truncates.

    Draws outside the band are redrawn (about 4.6% per round), so the result is
    exactly truncated, whatever torch version provides ``nn.init.trunc_normal_``.
    """
    if out.is_meta:  # a model built on the meta device: shapes only, nothing to draw
        return out
    out.normal_(generator=generator)
    outside = out.abs() >= 2.0
    while bool(outside.any()):
        out[outside] = torch.empty_like(out[outside]).normal_(generator=generator)
        outside = out.abs() >= 2.0
    return out.mul_(stddev).add_(mean)
