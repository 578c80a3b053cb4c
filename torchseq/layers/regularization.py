"""Regularization layers: Dropout."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch
import torch.nn.functional as F

from torchseq.layers.layer import InputSpec, Layer
from torchseq.utils.integers import int_or_none, is_int

__all__ = ["Dropout"]


class Dropout(Layer):
    """Randomly zeroes input units during training; mirrors ``keras.layers.Dropout``.

    In training mode each unit is kept with probability ``1 - rate`` and scaled by
    ``1 / (1 - rate)``, so the expected sum is unchanged; in inference mode (the default
    outside ``fit``) the input is returned as is.

    Args:
        rate: Float in ``[0, 1)``, the fraction of units to drop.
        noise_shape: Optional shape of the keep/drop mask, broadcast over the input;
            ``None`` entries take the input's size. ``(None, 1, None)`` on a
            ``(batch, timesteps, features)`` input drops the same features at every step.
        seed: Optional int: the layer then draws its masks from its own generator, so
            runs repeat exactly. Without it the masks come from torch's global generator
            (``torch.manual_seed``), through the fused ``F.dropout`` kernel.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> layer = Dropout(0.5)
        >>> bool((layer(torch.ones(4)) == 1).all())  # inference: identity
        True
    """

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, Real):
            raise TypeError(
                f"Dropout: rate must be a float, received: rate={rate!r} "
                f"of type {type(rate).__name__}"
            )
        if not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), received: rate={rate}")
        noise_shape = _standardize_noise_shape(noise_shape)
        if seed is not None and not is_int(seed):
            raise TypeError(f"Dropout: seed must be an int or None, received: seed={seed!r}")
        super().__init__(**kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = int_or_none(seed)
        self.supports_masking = True
        self._generators: dict[torch.device, torch.Generator] = {}

    def build(self, input_shape: tuple) -> None:
        if self.noise_shape is None:
            return
        fits = len(self.noise_shape) == len(input_shape) and all(
            noise in (None, 1) or size is None or noise == size
            for noise, size in zip(self.noise_shape, input_shape)
        )
        if not fits:
            raise ValueError(
                f'Layer "{self.name}": noise_shape={self.noise_shape} does not broadcast to '
                f"the input shape {tuple(input_shape)}; expected one entry per input axis, "
                "each None, 1 or the input's size"
            )
        self.input_spec = InputSpec(ndim=len(self.noise_shape))

    def call(self, inputs: torch.Tensor, training: bool | None = None) -> torch.Tensor:
        if training is None:
            training = self.training
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None and self.seed is None:
            return F.dropout(inputs, self.rate, training=True)
        keep = 1.0 - self.rate
        shape = inputs.shape if self.noise_shape is None else self._concrete_noise_shape(inputs)
        mask = torch.empty(shape, dtype=inputs.dtype, device=inputs.device)
        mask.bernoulli_(keep, generator=self._generator(inputs.device))
        return inputs * mask.div_(keep)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": self.noise_shape,
            "seed": self.seed,
        }

    def _concrete_noise_shape(self, inputs: torch.Tensor) -> tuple[int, ...]:
        return tuple(
            size if noise is None else noise for noise, size in zip(self.noise_shape, inputs.shape)
        )

    def _generator(self, device: torch.device) -> torch.Generator | None:
        """The layer's own generator on ``device`` when seeded; else the global one."""
        if self.seed is None:
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(self.seed)
            self._generators[device] = generator
        return generator


def _standardize_noise_shape(noise_shape: Any) -> tuple[int | None, ...] | None:
    if noise_shape is None:
        return None
    if not isinstance(noise_shape, (tuple, list, torch.Size)) or not all(
        dim is None or is_int(dim) for dim in noise_shape
    ):
        raise TypeError(
            "Dropout: noise_shape must be a tuple of ints and None, received: "
            f"noise_shape={noise_shape!r}"
        )
    noise_shape = tuple(int_or_none(dim) for dim in noise_shape)
    if any(dim is not None and dim <= 0 for dim in noise_shape):
        raise ValueError(
            "Dropout: noise_shape entries must be positive ints or None, received: "
            f"noise_shape={noise_shape}"
        )
    return noise_shape
