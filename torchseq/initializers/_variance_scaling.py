"""``VarianceScaling``, its Glorot/He/LeCun presets and ``compute_fans``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from torchseq.initializers._base import (
    DType,
    Shape,
    _check_choice,
    _float_dtype,
    _standardize_shape,
)
from torchseq.initializers._random import (
    _empty_for_sampling,
    _RandomInitializer,
    _truncated_normal_,
)

__all__ = [
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
    "VarianceScaling",
    "compute_fans",
]

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it
# restores the requested variance after truncation.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978

_FAN_MODES = ("fan_avg", "fan_in", "fan_out")
_DISTRIBUTIONS = ("truncated_normal", "uniform", "untruncated_normal")


class VarianceScaling(_RandomInitializer):
    """Samples whose variance is ``scale / n``, ``n`` the fan chosen by ``mode``.

    ``"uniform"`` draws from ``[-limit, limit]`` with ``limit = sqrt(3 * scale / n)``;
    ``"truncated_normal"`` (or its alias ``"normal"``) draws a normal truncated at
    two standard deviations, widened so the variance is still ``scale / n``;
    ``"untruncated_normal"`` a plain normal. Fans follow :func:`compute_fans`.

    Args:
        scale: Positive scaling factor. Defaults to ``1.0``.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``. Defaults to ``"fan_in"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or
            ``"uniform"``. Defaults to ``"truncated_normal"``.
        seed: An int for reproducible values, or ``None``.
        input_axes: Axes whose sizes multiply into the fan-in, overriding the default.
        output_axes: Axes whose sizes multiply into the fan-out (used together
            with ``input_axes``).
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        super().__init__(seed)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)):
            raise TypeError(f"scale must be a number, received: scale={scale!r}")
        if scale <= 0.0:
            raise ValueError(f"scale must be positive, received: scale={scale}")
        _check_choice("mode", mode, _FAN_MODES)
        if not isinstance(distribution, str):
            raise TypeError(f"distribution must be a string, received: {distribution!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        _check_choice("distribution", distribution, _DISTRIBUTIONS)
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes

    def __call__(self, shape: Shape, dtype: DType = None) -> torch.Tensor:
        shape = _standardize_shape(shape)
        dtype = _float_dtype(dtype, type(self).__name__)
        variance = self.scale / max(1.0, self._fan(shape))
        out = _empty_for_sampling(shape, dtype)
        generator = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            out.uniform_(-limit, limit, generator=generator)
        elif self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_NORMAL_STDDEV
            _truncated_normal_(out, 0.0, stddev, generator)
        else:
            out.normal_(0.0, math.sqrt(variance), generator=generator)
        return out.to(dtype)

    def _fan(self, shape: tuple[int, ...]) -> float:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            return fan_in
        if self.mode == "fan_out":
            return fan_out
        return (fan_in + fan_out) / 2.0

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _VarianceScalingPreset(VarianceScaling):
    """A VarianceScaling with fixed ``(scale, mode, distribution)``; only the seed and axes vary."""

    _preset: tuple[float, str, str]

    def __init__(
        self,
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_VarianceScalingPreset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    Keras's default kernel initializer.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_VarianceScalingPreset):
    """Truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))`` after truncation.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_VarianceScalingPreset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_VarianceScalingPreset):
    """Truncated normal with ``stddev = sqrt(2 / fan_in)`` after truncation.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_VarianceScalingPreset):
    """Uniform on ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_VarianceScalingPreset):
    """Truncated normal with ``stddev = sqrt(1 / fan_in)`` after truncation.

    Args:
        seed: An int for reproducible values, or ``None``.
        input_axes: Optional fan-in axes, as in :class:`VarianceScaling`.
        output_axes: Optional fan-out axes, as in :class:`VarianceScaling`.
    """

    _preset = (1.0, "fan_in", "truncated_normal")


def compute_fans(
    shape: Shape,
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)`` of a weight shape in Keras layout.

    Rank 0 gives ``(1, 1)``; rank 1 ``(n, n)``; rank 2 ``(rows, cols)``; rank
    ``>= 3`` treats the leading axes as the receptive field:
    ``(shape[-2] * rf, shape[-1] * rf)`` with ``rf = prod(shape[:-2])``. Given
    both ``input_axes`` and ``output_axes``, each fan is the product of those axes.

    Example:
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = _standardize_shape(shape)
    if input_axes is not None and output_axes is not None:
        return (
            math.prod(shape[axis] for axis in input_axes),
            math.prod(shape[axis] for axis in output_axes),
        )
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field
