"""Noise layers: GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D.

All are the identity in inference mode (the default outside ``fit``) and random in
training mode. Without a ``seed`` they draw from torch's global generator
(``torch.manual_seed``); with one, from the layer's own generator, so runs repeat exactly.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import torch

from torchseq import config
from torchseq.layers.layer import InputSpec, Layer
from torchseq.utils.integers import int_or_none, is_int

__all__ = [
    "AlphaDropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
]

# The SELU constants; AlphaDropout drops units to SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _NoiseLayer(Layer):
    """Identity unless training; holds the optional seed and its per-device generators."""

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        if seed is not None and not is_int(seed):
            raise TypeError(
                f"{type(self).__name__}: seed must be an int or None, received: seed={seed!r}"
            )
        super().__init__(**kwargs)
        self.seed = int_or_none(seed)
        self.supports_masking = True
        self._generators: dict[torch.device, torch.Generator] = {}

    def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if not training or self._is_identity():
            return inputs
        return self._add_noise(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}

    def _is_identity(self) -> bool:
        raise NotImplementedError

    def _add_noise(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _generator(self, device: torch.device) -> torch.Generator | None:
        """The layer's own generator on ``device`` when seeded; else ``None`` (the global one)."""
        if self.seed is None:
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(self.seed)
            self._generators[device] = generator
        return generator


class GaussianNoise(_NoiseLayer):
    """Adds zero-centred Gaussian noise in training; mirrors ``keras.layers.GaussianNoise``.

    Keras only accepts ``stddev`` in ``[0, 1]``; any non-negative value is accepted here.

    Args:
        stddev: Non-negative float, the standard deviation of the noise.
        seed: Optional int for repeatable noise.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> layer = GaussianNoise(0.1)
        >>> bool((layer(torch.ones(3)) == 1).all())  # inference: identity
        True
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        _check_number(type(self).__name__, "stddev", stddev)
        if not 0 <= stddev < math.inf:
            raise ValueError(
                f"GaussianNoise: stddev must be a finite non-negative float, received: "
                f"stddev={stddev}"
            )
        super().__init__(seed=seed, **kwargs)
        self.stddev = stddev

    def _is_identity(self) -> bool:
        return self.stddev == 0

    def _add_noise(self, inputs: torch.Tensor) -> torch.Tensor:
        noise = torch.empty_like(inputs).normal_(
            0.0, self.stddev, generator=self._generator(inputs.device)
        )
        return inputs + noise

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev}


class GaussianDropout(_NoiseLayer):
    """Multiplies by Gaussian noise of mean 1 in training; mirrors ``keras.layers.GaussianDropout``.

    The noise has standard deviation ``sqrt(rate / (1 - rate))``, the same variance as
    the scaled Bernoulli mask of ``Dropout(rate)``.

    Args:
        rate: Float in ``[0, 1)``, the equivalent drop probability.
        seed: Optional int for repeatable noise.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> GaussianDropout(0.2)(torch.ones(2, 3), training=True).shape
        torch.Size([2, 3])
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        _check_rate(type(self).__name__, rate)
        super().__init__(seed=seed, **kwargs)
        self.rate = rate
        self._stddev = math.sqrt(rate / (1.0 - rate))

    def _is_identity(self) -> bool:
        return self.rate == 0

    def _add_noise(self, inputs: torch.Tensor) -> torch.Tensor:
        noise = torch.empty_like(inputs).normal_(
            1.0, self._stddev, generator=self._generator(inputs.device)
        )
        return inputs * noise

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate}


class AlphaDropout(_NoiseLayer):
    """Dropout that keeps SELU's self-normalising statistics; mirrors ``keras.layers.AlphaDropout``.

    In training each unit is kept with probability ``1 - rate`` or set to SELU's
    saturation value ``alpha' = -scale * alpha``, then the result is mapped by ``a * x + b``
    with ``a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5`` and ``b = -a * alpha' * rate``,
    so inputs of mean 0 and variance 1 keep them.

    Args:
        rate: Float in ``[0, 1)``, the drop probability.
        noise_shape: Optional shape of the keep/drop mask, broadcast over the input;
            ``None`` entries take the input's size.
        seed: Optional int for repeatable masks.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> AlphaDropout(0.1)(torch.ones(2, 3), training=True).shape
        torch.Size([2, 3])
    """

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        _check_rate(type(self).__name__, rate)
        noise_shape = _standardize_noise_shape(noise_shape)
        super().__init__(seed=seed, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        self._scale = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
        self._shift = -self._scale * alpha_p * rate
        self._dropped_value = self._scale * alpha_p + self._shift

    def build(self, input_shape: tuple) -> None:
        if self.noise_shape is None:
            return
        fits = len(self.noise_shape) == len(input_shape) and all(
            noise in (None, 1) or size is None or noise == size
            for noise, size in zip(self.noise_shape, input_shape)
        )
        if not fits:
            raise ValueError(
                f'Layer "{self.name}" (AlphaDropout): noise_shape={self.noise_shape} does not '
                f"broadcast to the input shape {tuple(input_shape)}; expected one entry per "
                "input axis, each None, 1 or the input's size"
            )
        self.input_spec = InputSpec(ndim=len(self.noise_shape))

    def _is_identity(self) -> bool:
        return self.rate == 0

    def _add_noise(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.noise_shape is None:
            shape = inputs.shape
        else:
            shape = tuple(
                size if noise is None else noise
                for noise, size in zip(self.noise_shape, inputs.shape)
            )
        kept = torch.empty(shape, dtype=inputs.dtype, device=inputs.device)
        kept.bernoulli_(1.0 - self.rate, generator=self._generator(inputs.device))
        return torch.where(kept.bool(), inputs * self._scale + self._shift, self._dropped_value)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape}


class _SpatialDropout(_NoiseLayer):
    """Drops whole channels: one keep/drop decision per (sample, channel).

    Subclasses set ``_rank`` (the number of spatial axes).
    """

    _rank: int

    def __init__(
        self, rate: float, data_format: str | None, seed: int | None = None, **kwargs: Any
    ) -> None:
        _check_rate(type(self).__name__, rate)
        try:
            data_format = config.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__}: {error}") from error
        super().__init__(seed=seed, **kwargs)
        self.rate = rate
        self.data_format = data_format
        self._channel_axis = -1 if data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def build(self, input_shape: tuple) -> None:
        self.input_spec.check(self.name, 0, tuple(input_shape))

    def _is_identity(self) -> bool:
        return self.rate == 0

    def _add_noise(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.ndim != self._rank + 2:
            self.input_spec.check(self.name, 0, tuple(inputs.shape))
        shape = [1] * inputs.ndim
        shape[0] = inputs.shape[0]
        shape[self._channel_axis] = inputs.shape[self._channel_axis]
        keep = 1.0 - self.rate
        mask = torch.empty(shape, dtype=inputs.dtype, device=inputs.device)
        mask.bernoulli_(keep, generator=self._generator(inputs.device))
        return inputs * mask.div_(keep)

    def get_config(self) -> dict[str, Any]:
        config_ = {**super().get_config(), "rate": self.rate, "data_format": self.data_format}
        # Keras's SpatialDropout constructors take no `trainable` (Keras cannot load its own
        # config of them); a layer without weights loses nothing by leaving it out.
        del config_["trainable"]
        return config_


class SpatialDropout1D(_SpatialDropout):
    """Drops whole feature channels of a sequence; mirrors ``keras.layers.SpatialDropout1D``.

    Use it where neighbouring time steps are strongly correlated, so that dropping
    single units would not regularise. Kept channels are scaled by ``1 / (1 - rate)``.
    Like Keras, it has no ``data_format``: the channels are the last axis.

    Args:
        rate: Float in ``[0, 1)``, the fraction of channels to drop.
        seed: Optional int for repeatable masks.

    Input shape: ``(batch, steps, channels)``. Output shape: the input's shape.

    Example:
        >>> SpatialDropout1D(0.5)(torch.ones(2, 3, 4), training=True).shape
        torch.Size([2, 3, 4])
    """

    _rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, "channels_last", seed=seed, **kwargs)

    def get_config(self) -> dict[str, Any]:
        config_ = super().get_config()
        del config_["data_format"]
        return config_


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of an image; mirrors ``keras.layers.SpatialDropout2D``.

    Kept channels are scaled by ``1 / (1 - rate)``.

    Args:
        rate: Float in ``[0, 1)``, the fraction of channels to drop.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        seed: Optional int for repeatable masks.

    Input shape: ``(batch, rows, cols, channels)`` (channels_last) or
    ``(batch, channels, rows, cols)`` (channels_first). Output shape: the input's shape.

    Example:
        >>> SpatialDropout2D(0.5)(torch.ones(2, 3, 3, 4), training=True).shape
        torch.Size([2, 3, 3, 4])
    """

    _rank = 2

    def __init__(
        self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(rate, data_format, seed=seed, **kwargs)


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes; mirrors ``keras.layers.SpatialDropout3D``.

    Kept channels are scaled by ``1 / (1 - rate)``.

    Args:
        rate: Float in ``[0, 1)``, the fraction of channels to drop.
        data_format: ``"channels_last"`` or ``"channels_first"``; default
            ``config.image_data_format()``.
        seed: Optional int for repeatable masks.

    Input shape: ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
    ``(batch, channels, dim1, dim2, dim3)`` (channels_first). Output shape: the input's.

    Example:
        >>> SpatialDropout3D(0.5)(torch.ones(1, 2, 2, 2, 4), training=True).shape
        torch.Size([1, 2, 2, 2, 4])
    """

    _rank = 3

    def __init__(
        self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(rate, data_format, seed=seed, **kwargs)


# ---------------------------------------------------------------------- argument checks


def _check_number(layer: str, argument: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{layer}: {argument} must be a float, received: {argument}={value!r} "
            f"of type {type(value).__name__}"
        )


def _check_rate(layer: str, rate: Any) -> None:
    _check_number(layer, "rate", rate)
    if not 0 <= rate < 1:
        raise ValueError(f"{layer}: rate must be in [0, 1), received: rate={rate}")


def _standardize_noise_shape(noise_shape: Any) -> tuple[int | None, ...] | None:
    if noise_shape is None:
        return None
    if not isinstance(noise_shape, (tuple, list, torch.Size)) or not all(
        dim is None or is_int(dim) for dim in noise_shape
    ):
        raise TypeError(
            "AlphaDropout: noise_shape must be a tuple of ints and None, received: "
            f"noise_shape={noise_shape!r}"
        )
    if any(dim is not None and dim <= 0 for dim in noise_shape):
        raise ValueError(
            "AlphaDropout: noise_shape entries must be positive ints or None, received: "
            f"noise_shape={tuple(noise_shape)}"
        )
    return tuple(int_or_none(dim) for dim in noise_shape)
