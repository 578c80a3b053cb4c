"""BatchNormalization: per-channel batch statistics in training, moving statistics otherwise.

Inference and the usual training step are one fused ``F.batch_norm`` on a free view with the
channels second; moving statistics are non-trainable buffers, never copied per step.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch
import torch.nn.functional as F

from torchseq import constraints, initializers, regularizers
from torchseq.layers._normalization_utils import _add_affine, _declare_affine, _non_negative, _real
from torchseq.layers.layer import InputSpec, Layer

__all__ = ["BatchNormalization"]


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
