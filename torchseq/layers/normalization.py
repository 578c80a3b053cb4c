"""Normalization layers: Batch-, Layer-, Group- and UnitNormalization.

They run on torch's fused kernels (``F.batch_norm``, ``F.layer_norm``, ``F.group_norm``,
``F.normalize``): the normalised axes are brought into the layout the kernel wants with free
views, never with weight copies.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import constraints, initializers, regularizers
from torchseq.layers.layer import InputSpec, Layer

__all__ = [
    "BatchNormalization",
    "GroupNormalization",
    "LayerNormalization",
    "UnitNormalization",
]


class BatchNormalization(Layer):
    """Normalise each channel with batch statistics while training, moving ones otherwise.

    Mirrors ``keras.layers.BatchNormalization``. In training mode the output is
    ``gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta`` with the mean and (biased)
    variance of the current batch, and the moving statistics are updated as
    ``moving = moving * momentum + batch_statistic * (1 - momentum)``. In inference mode
    (the default outside ``fit``) the moving statistics are used instead. A frozen layer
    (``layer.trainable = False``) always runs in inference mode, as in Keras 3.

    Weights, in Keras's order: ``gamma`` and ``beta`` (trainable, only when ``scale`` and
    ``center``), ``moving_mean`` and ``moving_variance`` (non-trainable, stored as buffers).

    Args:
        axis: Int, the channel axis normalised independently. Default ``-1``; use ``1``
            after a ``channels_first`` convolution.
        momentum: Momentum of the moving averages, in ``[0, 1]``. Default ``0.99``.
        epsilon: Small float added to the variance. Default ``1e-3``.
        center: Whether to add the learned offset ``beta``. Default ``True``.
        scale: Whether to multiply by the learned factor ``gamma``. Default ``True``.
        beta_initializer: Default ``"zeros"``.
        gamma_initializer: Default ``"ones"``.
        moving_mean_initializer: Default ``"zeros"``.
        moving_variance_initializer: Default ``"ones"``.
        beta_regularizer, gamma_regularizer: Optional regularizers.
        beta_constraint, gamma_constraint: Optional constraints.
        synchronized: Accepted for compatibility and ignored (Keras honours it on
            TensorFlow only).
        renorm: Batch renormalization is not supported; ``True`` raises a ``ValueError``.
        renorm_clipping, renorm_momentum: Accepted so Keras configs load; unused.

    Call arguments:
        inputs: A tensor of any rank ``>= 2``.
        training: ``None`` (the layer's mode), ``True`` or ``False``.
        mask: Optional boolean tensor of ``inputs``' shape without the last axis; in
            training mode, masked positions are left out of the batch statistics.

    Input shape: any, with the channel axis known. Output shape: same as the input.

    Example:
        >>> layer = BatchNormalization()
        >>> layer(torch.ones(2, 5, 5, 3)).shape
        torch.Size([2, 5, 5, 3])
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: dict | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"BatchNormalization: axis must be an int, received: axis={axis!r}")
        momentum = _real("BatchNormalization", "momentum", momentum)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(
                f"BatchNormalization: momentum must be in [0, 1], received: momentum={momentum}"
            )
        epsilon = _non_negative("BatchNormalization", "epsilon", epsilon)
        if renorm:
            raise ValueError(
                "BatchNormalization: batch renormalization is not supported, expected "
                f"renorm=False, received: renorm={renorm!r}"
            )
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.supports_masking = True
        self._channel_axis: int | None = None
        _declare_affine(self, scale=scale, center=center)
        self._lazy_weight("moving_mean", trainable=False)
        self._lazy_weight("moving_variance", trainable=False)

    def build(self, input_shape: tuple) -> None:
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or ndim < 2:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": axis={self.axis} is out of range '
                f"for an input of rank {ndim} (expected rank >= 2 and -{ndim} <= axis < "
                f"{ndim}); received input shape {input_shape}"
            )
        channel_axis = self.axis % ndim
        if channel_axis == 0:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": axis={self.axis} is the batch '
                f"axis; expected a feature axis, received input shape {input_shape}"
            )
        channels = input_shape[channel_axis]
        if channels is None:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": the size of axis {self.axis} must be '
                f"known to build the layer, received input shape {input_shape}"
            )
        shape = (channels,)
        _add_affine(self, shape)
        self.add_weight(
            shape=shape,
            initializer=self.moving_mean_initializer,
            trainable=False,
            name="moving_mean",
        )
        self.add_weight(
            shape=shape,
            initializer=self.moving_variance_initializer,
            trainable=False,
            name="moving_variance",
        )
        self._channel_axis = channel_axis
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})

    def call(
        self,
        inputs: torch.Tensor,
        training: bool | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        training = self.training if training is None else bool(training)
        if not (training and self.trainable):
            flat = self._channels_second(inputs)
            outputs = F.batch_norm(
                flat,
                self.moving_mean,
                self.moving_variance,
                self.gamma,
                self.beta,
                False,
                0.0,
                self.epsilon,
            )
            return outputs.view(inputs.shape)
        if mask is not None:
            mean, variance = self._masked_moments(inputs, mask)
            return self._normalize_and_update(inputs, mean, variance)
        values_per_channel = inputs.numel() // inputs.shape[self._channel_axis]
        if values_per_channel < 2:  # torch's kernel refuses a single value per channel
            variance, mean = torch.var_mean(
                inputs, dim=self._reduction_axes(inputs.ndim), correction=0
            )
            return self._normalize_and_update(inputs, mean, variance)
        return self._fused_training_step(inputs, values_per_channel)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }

    # ------------------------------------------------------------------ helpers

    def _channels_second(self, inputs: torch.Tensor) -> torch.Tensor:
        """``inputs`` as ``(batch-like, channels, rest)``, the layout F.batch_norm reduces.

        A free view for contiguous inputs: the axes before the channel axis merge into
        one, those after it into another (or none when the channels come last).
        """
        axis = self._channel_axis
        if axis == 1:
            return inputs
        channels = inputs.shape[axis]
        if axis == inputs.ndim - 1:
            return inputs.reshape(-1, channels)
        return inputs.reshape(math.prod(inputs.shape[:axis]), channels, -1)

    def _fused_training_step(self, inputs: torch.Tensor, values_per_channel: int) -> torch.Tensor:
        # With momentum=1.0, F.batch_norm writes the batch mean and its *unbiased* variance
        # into the scratch buffers; Keras blends the biased variance into the moving one,
        # so the variance is rescaled by (n - 1) / n below.
        batch_stats = torch.zeros(
            2, inputs.shape[self._channel_axis], dtype=self.moving_mean.dtype, device=inputs.device
        )
        outputs = F.batch_norm(
            self._channels_second(inputs),
            batch_stats[0],
            batch_stats[1],
            self.gamma,
            self.beta,
            True,
            1.0,
            self.epsilon,
        )
        unbias = (values_per_channel - 1) / values_per_channel
        self._update_moving_statistics(batch_stats[0], batch_stats[1], variance_scale=unbias)
        return outputs.view(inputs.shape)

    def _normalize_and_update(
        self, inputs: torch.Tensor, mean: torch.Tensor, variance: torch.Tensor
    ) -> torch.Tensor:
        """The training-mode output for statistics computed outside torch's kernel."""
        self._update_moving_statistics(mean, variance)
        shape = [1] * inputs.ndim
        shape[self._channel_axis] = -1
        factor = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            factor = factor * self.gamma
        outputs = (inputs - mean.view(shape)) * factor.view(shape)
        return outputs if self.beta is None else outputs + self.beta.view(shape)

    def _update_moving_statistics(
        self, mean: torch.Tensor, variance: torch.Tensor, variance_scale: float = 1.0
    ) -> None:
        keep = self.momentum
        with torch.no_grad():
            self.moving_mean.mul_(keep).add_(mean, alpha=1.0 - keep)
            self.moving_variance.mul_(keep).add_(variance, alpha=(1.0 - keep) * variance_scale)

    def _masked_moments(
        self, inputs: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and biased variance over the positions where ``mask`` is true."""
        if mask.ndim != inputs.ndim - 1:
            raise ValueError(
                f'BatchNormalization layer "{self.name}": the mask must have one axis less '
                f"than the inputs, received mask shape {tuple(mask.shape)} for inputs of "
                f"shape {tuple(inputs.shape)}"
            )
        from torchseq import config

        axes = self._reduction_axes(inputs.ndim)
        keep = mask.unsqueeze(-1).expand(inputs.shape).to(torch.bool)
        count = keep.sum(dim=axes, dtype=inputs.dtype) + config.epsilon()
        mean = torch.where(keep, inputs, 0).sum(dim=axes) / count
        shape = [1] * inputs.ndim
        shape[self._channel_axis] = -1
        deviations = torch.where(keep, inputs - mean.view(shape), 0)
        variance = deviations.square().sum(dim=axes) / count
        return mean, variance

    def _reduction_axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(axis for axis in range(ndim) if axis != self._channel_axis)


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


# ---------------------------------------------------------------------- helpers


def _declare_affine(layer: Layer, *, scale: bool, center: bool) -> None:
    """Declare ``gamma`` and ``beta`` (Keras's order), or register them as absent."""
    for name, present in (("gamma", scale), ("beta", center)):
        if present:
            layer._lazy_weight(name)
        else:
            layer.register_parameter(name, None)


def _add_affine(layer: Any, shape: tuple[int, ...]) -> None:
    """Create the declared ``gamma``/``beta`` of a normalization layer with ``shape``."""
    for name in ("gamma", "beta"):
        if name in layer._parameters and layer._parameters[name] is not None:
            layer.add_weight(
                shape=shape,
                initializer=getattr(layer, f"{name}_initializer"),
                regularizer=getattr(layer, f"{name}_regularizer"),
                constraint=getattr(layer, f"{name}_constraint"),
                name=name,
            )


def _real(layer: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{layer}: {name} must be a number, received: {name}={value!r}")
    return float(value)


def _non_negative(layer: str, name: str, value: Any) -> float:
    value = _real(layer, name, value)
    if value < 0:
        raise ValueError(f"{layer}: {name} must be >= 0, received: {name}={value}")
    return value
