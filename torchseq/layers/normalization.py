"""Per-sample normalization layers: Layer-, Group- and UnitNormalization.

They run on torch's fused kernels (``F.layer_norm``, ``F.group_norm``, ``F.normalize``): the
normalised axes are brought into the layout the kernel wants with free views, never with
weight copies. BatchNormalization lives in ``batch_normalization.py``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import constraints, initializers, regularizers
from torchseq.layers._normalization_utils import _add_affine, _declare_affine, _non_negative
from torchseq.layers.layer import InputSpec, Layer

__all__ = [
    "GroupNormalization",
    "LayerNormalization",
    "UnitNormalization",
]


class LayerNormalization(Layer):
    """Normalise each sample over the given axes: ``gamma * (x - mean) / sqrt(var + eps) + beta``.

    Mirrors ``keras.layers.LayerNormalization``. When the normalised axes are the
    trailing ones (the usual ``axis=-1``) this is one ``F.layer_norm``; otherwise the
    axes are moved to the end with a view, normalised, and moved back. ``gamma`` and
    ``beta`` have the sizes of the normalised axes, in increasing axis order.

    Args:
        axis: Int or list of ints, the axes to normalise over. Default ``-1``.
        epsilon: Small float added to the variance. Default ``1e-3``.
        center: Whether to add the learned offset ``beta``. Default ``True``.
        scale: Whether to multiply by the learned factor ``gamma``. Default ``True``.
        rms_scaling: Keras's deprecated option: ``x / sqrt(var(x) + epsilon) * gamma``
            (no centering, no ``beta``, ``gamma`` always created). Default ``False``;
            ``True`` warns, as in Keras.
        beta_initializer: Default ``"zeros"``.
        gamma_initializer: Default ``"ones"``.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Optional constraints.

    Input shape: any, with the normalised axes known. Output shape: same as the input.

    Example:
        >>> layer = LayerNormalization(axis=[1, 2])
        >>> layer(torch.ones(2, 3, 4)).shape
        torch.Size([2, 3, 4])
    """

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        rms_scaling: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        axes = [axis] if isinstance(axis, numbers.Integral) else axis
        if (
            isinstance(axis, bool)
            or not isinstance(axes, (list, tuple))
            or not axes
            or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
        ):
            raise TypeError(
                "LayerNormalization: axis must be an int or a non-empty list of ints, "
                f"received: axis={axis!r}"
            )
        if len(set(axes)) != len(axes):
            raise ValueError(
                f"LayerNormalization: axis must not repeat an axis, received: axis={axis!r}"
            )
        epsilon = _non_negative("LayerNormalization", "epsilon", epsilon)
        if rms_scaling:
            warnings.warn(
                "LayerNormalization: rms_scaling=True is deprecated in Keras 3 and divides "
                "by the standard deviation (not the root mean square); it is kept for "
                "parity. Use an RMS normalization layer for true RMS scaling.",
                UserWarning,
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self._axes = sorted(int(a) for a in axes)
        _declare_affine(
            self, scale=scale or self.rms_scaling, center=center and not self.rms_scaling
        )

    def build(self, input_shape: tuple) -> None:
        axes = self._positive_axes(len(input_shape), input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(
                f'LayerNormalization layer "{self.name}": the sizes of the normalised axes '
                f"{self.axis} must be known to build the layer, received input shape "
                f"{input_shape}"
            )
        _add_affine(self, shape)
        # Negative axes count from the end, so any rank that has them is accepted.
        fixed_rank = any(a >= 0 for a in self._axes)
        self.input_spec = InputSpec(
            ndim=len(input_shape) if fixed_rank else None,
            min_ndim=None if fixed_rank else max(-a for a in self._axes),
            axes=dict(zip(self._axes, shape)),
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        axes = self._positive_axes(inputs.ndim, tuple(inputs.shape))
        if self.rms_scaling:
            return self._rms_scaled(inputs, axes)
        normalized_shape = tuple(inputs.shape[a] for a in axes)
        trailing = axes[0] == inputs.ndim - len(axes) and axes[-1] == inputs.ndim - 1
        if trailing:
            return F.layer_norm(inputs, normalized_shape, self.gamma, self.beta, self.epsilon)
        others = [a for a in range(inputs.ndim) if a not in axes]
        order = others + axes
        moved = inputs.permute(order)
        outputs = F.layer_norm(moved, normalized_shape, self.gamma, self.beta, self.epsilon)
        return outputs.permute(sorted(range(inputs.ndim), key=order.__getitem__))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._positive_axes(len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }

    # ------------------------------------------------------------------ helpers

    def _positive_axes(self, ndim: int, input_shape: tuple) -> list[int]:
        if any(not -ndim <= a < ndim for a in self._axes):
            raise ValueError(
                f'LayerNormalization layer "{self.name}": axis={self.axis} is out of range '
                f"for an input of rank {ndim}; received input shape {tuple(input_shape)}"
            )
        axes = sorted(a % ndim for a in self._axes)
        if 0 in axes:
            raise ValueError(
                f'LayerNormalization layer "{self.name}": axis={self.axis} includes the '
                f"batch axis; expected feature axes, received input shape "
                f"{tuple(input_shape)}"
            )
        return axes

    def _rms_scaled(self, inputs: torch.Tensor, axes: list[int]) -> torch.Tensor:
        variance = torch.var(inputs, dim=axes, keepdim=True, correction=0)
        outputs = inputs * torch.rsqrt(variance + self.epsilon)
        if self.gamma is None:
            return outputs
        shape = [1] * inputs.ndim
        for axis in axes:
            shape[axis] = inputs.shape[axis]
        return outputs * self.gamma.view(shape)


class GroupNormalization(Layer):
    """Normalise each sample over groups of channels: ``gamma * (x - mean) / sqrt(var + eps) + beta``.

    Mirrors ``keras.layers.GroupNormalization``. The channels (axis ``axis``) are split
    into ``groups`` consecutive groups; the mean and (biased) variance are taken per
    sample and group, over the group's channels and all other non-batch axes. ``groups=1``
    is a layer normalization over all features; ``groups=-1`` (one channel per group) an
    instance normalization. One ``F.group_norm`` call, on a free view with the channels
    second. ``gamma`` and ``beta`` have one value per channel.

    Args:
        groups: Positive int dividing the number of channels, or ``-1`` for one group per
            channel. Default ``32``.
        axis: Int, the channel axis. Default ``-1``.
        epsilon: Small float added to the variance. Default ``1e-3``.
        center: Whether to add the learned offset ``beta``. Default ``True``.
        scale: Whether to multiply by the learned factor ``gamma``. Default ``True``.
        beta_initializer: Default ``"zeros"``.
        gamma_initializer: Default ``"ones"``.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Optional constraints.

    Input shape: any rank >= 2 with the channel axis known. Output shape: the input's.

    Example:
        >>> layer = GroupNormalization(groups=2)
        >>> layer(torch.randn(2, 5, 5, 4)).shape
        torch.Size([2, 5, 5, 4])
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
            raise TypeError(
                f"GroupNormalization: groups must be an int, received: groups={groups!r}"
            )
        if groups <= 0 and groups != -1:
            raise ValueError(
                "GroupNormalization: groups must be a positive integer (or -1 for one group "
                f"per channel), received: groups={groups}"
            )
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"GroupNormalization: axis must be an int, received: axis={axis!r}")
        epsilon = _non_negative("GroupNormalization", "epsilon", epsilon)
        super().__init__(**kwargs)
        self.groups = int(groups)
        self.axis = int(axis)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self._channel_axis = 1
        self._groups = self.groups
        _declare_affine(self, scale=scale, center=center)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if ndim < 2 or not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(
                f'GroupNormalization layer "{self.name}": axis={self.axis} must be a feature '
                f"axis of the input (expected rank >= 2 and 1 <= axis % rank < rank); "
                f"received input shape {tuple(input_shape)}"
            )
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(
                f'GroupNormalization layer "{self.name}": the size of axis {self.axis} must '
                f"be known to build the layer, received input shape {tuple(input_shape)}"
            )
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ValueError(
                f'GroupNormalization layer "{self.name}": the number of channels '
                f"({channels}) must be a multiple of groups ({groups}), received input "
                f"shape {tuple(input_shape)}"
            )
        _add_affine(self, (channels,))
        self._channel_axis = self.axis % ndim
        self._groups = groups
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        axis = self._channel_axis
        channels_second = inputs if axis == 1 else inputs.movedim(axis, 1)
        outputs = F.group_norm(channels_second, self._groups, self.gamma, self.beta, self.epsilon)
        return outputs if axis == 1 else outputs.movedim(1, axis)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    Mirrors ``keras.layers.UnitNormalization`` (one ``F.normalize``).

    Args:
        axis: Int or list of ints, the axes whose values form one vector. Default ``-1``.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> UnitNormalization()(torch.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        axes = [axis] if isinstance(axis, numbers.Integral) else axis
        if (
            isinstance(axis, bool)
            or not isinstance(axes, (list, tuple))
            or not axes
            or any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes)
        ):
            raise TypeError(
                "UnitNormalization: axis must be an int or a non-empty list of ints, "
                f"received: axis={axis!r}"
            )
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)
        self.supports_masking = True
        self._dims: int | tuple[int, ...] = int(axes[0]) if len(axes) == 1 else tuple(axes)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        self._check_axes(inputs.ndim, tuple(inputs.shape))
        return F.normalize(inputs, p=2.0, dim=self._dims, eps=1e-12)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check_axes(len(input_shape), input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}

    def _check_axes(self, ndim: int, input_shape: tuple) -> None:
        dims = self._dims if isinstance(self._dims, tuple) else (self._dims,)
        if any(not -ndim <= a < ndim for a in dims):
            raise ValueError(
                f'UnitNormalization layer "{self.name}": axis={self.axis} is out of range for '
                f"an input of rank {ndim}; received input shape {tuple(input_shape)}"
            )
