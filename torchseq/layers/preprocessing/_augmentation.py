"""``ImageAugmentation``: the base of the random image augmentation layers.

An augmentation layer is the identity in inference mode (the default outside ``fit``;
``RandomCrop`` resizes instead) and random in training mode (inside ``fit``, after
``model.train()``, or when called with ``training=True``). Each layer draws its random
parameters for the whole batch at once, on the images' device, then applies them with
batched torch ops: no Python loop runs per image.

Images are ``(batch, height, width, channels)`` (``channels_last``, the default) or
``(batch, channels, height, width)``; a single image without the batch axis is accepted
and returned without one, as Keras does.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.layers.layer import Layer
from torchseq.utils.integers import int_or_none, is_int

__all__ = [
    "FactorAugmentation",
    "ImageAugmentation",
    "check_choice",
    "check_seed",
    "factor_range",
    "unit_range",
    "value_range_pair",
]


class ImageAugmentation(Layer):
    """Shared machinery: training switch, image ranks, data format, seeded generators.

    Subclasses implement ``_augment(images, generator)`` (training) and may override
    ``_infer(images)`` (inference; by default a cast to the layer's dtype, as Keras's
    geometric layers do). Both receive a 4-D batch in the layer's data format.

    Args:
        seed: Optional int: the layer then draws from its own ``torch.Generator`` (one
            per device), so runs repeat exactly. Without it the draws come from torch's
            global generator (``torch.manual_seed``).
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
    """

    def __init__(
        self, seed: int | None = None, data_format: str | None = None, **kwargs: Any
    ) -> None:
        layer = type(self).__name__
        check_seed(layer, seed)
        try:
            data_format = config.standardize_data_format(data_format)
        except ValueError as error:
            raise ValueError(f"{layer}: {error}") from error
        super().__init__(**kwargs)
        self.seed = int_or_none(seed)
        self.data_format = data_format
        self._generators: dict[torch.device, torch.Generator] = {}

    def get_build_config(self) -> dict[str, Any] | None:
        build_config = super().get_build_config()
        if build_config is None and self.built:
            return {"input_shape": None}  # built from such a config, as Keras writes it
        return build_config

    def build_from_config(self, build_config: dict[str, Any] | None) -> None:
        # No weights to create; Keras stores these layers with {"input_shape": None}.
        if build_config and build_config.get("input_shape") is not None:
            super().build_from_config(build_config)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> torch.Tensor:
        if training is None:
            training = self.training
        images = self._as_images(inputs)
        single = images.ndim == 3
        batch = images.unsqueeze(0) if single else images
        if training:
            outputs = self._augment(batch, self._generator(batch.device))
        else:
            outputs = self._infer(batch)
        return outputs.squeeze(0) if single else outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check_rank(tuple(input_shape))
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}

    # ------------------------------------------------------------------ for subclasses

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(self._dtype)

    @property
    def _channels_last(self) -> bool:
        return self.data_format == "channels_last"

    @property
    def _spatial_axes(self) -> tuple[int, int]:
        """The (height, width) axes of a 4-D batch."""
        return (1, 2) if self._channels_last else (2, 3)

    def _uniform(
        self,
        low: float,
        high: float,
        size: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """``size`` float32 draws from ``[low, high)`` (exactly ``low`` when they are equal)."""
        unit = torch.rand(size, generator=generator, device=device)
        return low + (high - low) * unit

    def _chosen(
        self,
        factor: tuple[float, float],
        size: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """One bool per image, true with a probability itself drawn from ``factor``'s range
        (how Keras's layers with a ``factor`` in ``[0, 1]`` choose the images to change)."""
        probability = self._uniform(*factor, size, device, generator)
        return torch.rand(size, generator=generator, device=device) < probability

    def _beta(
        self,
        concentration: float | torch.Tensor,
        size: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """``size`` float32 draws from ``Beta(concentration, concentration)``."""
        concentration = torch.as_tensor(concentration, dtype=torch.float32, device=device)
        pairs = concentration.expand(size, 2).contiguous()
        return torch._sample_dirichlet(pairs, generator=generator)[:, 0]

    def _boxes(
        self,
        ratio_y: torch.Tensor,
        ratio_x: torch.Tensor,
        height: int,
        width: int,
        generator: torch.Generator | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One box per image, ``ratio_y * height`` by ``ratio_x * width`` pixels at a random
        place inside it: a bool mask that broadcasts against the batch, and the boxes' areas
        as fractions of the image's."""
        device = ratio_x.device
        inside = []
        for ratio, length, axis in ((ratio_y, height, 2), (ratio_x, width, 1)):
            extent = ratio * length
            start = torch.rand(ratio.shape[0], generator=generator, device=device)
            start = (start * (length - extent)).unsqueeze(-1)
            positions = torch.arange(length, dtype=extent.dtype, device=device)
            within = (positions >= start) & (positions < start + extent.unsqueeze(-1))
            inside.append(within.unsqueeze(axis))
        mask = inside[0] & inside[1]  # (batch, height, width)
        return self._per_pixel(mask), ratio_y * ratio_x

    def _per_pixel(self, values: torch.Tensor) -> torch.Tensor:
        """``(batch, height, width)`` values shaped to broadcast over the channel axis."""
        return values.unsqueeze(-1) if self._channels_last else values.unsqueeze(1)

    def _generator(self, device: torch.device) -> torch.Generator | None:
        """The layer's own generator on ``device`` when seeded; else ``None`` (the global one)."""
        if self.seed is None:
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = torch.Generator(device=device).manual_seed(self.seed)
            self._generators[device] = generator
        return generator

    def _as_images(self, inputs: Any) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor):
            if isinstance(inputs, (list, tuple, np.ndarray, Real)):
                inputs = torch.as_tensor(np.asarray(inputs))
            else:
                raise TypeError(
                    f'Layer "{self.name}" ({type(self).__name__}) expected images as a tensor '
                    f"or array, received: {type(inputs).__name__}"
                )
        self._check_rank(tuple(inputs.shape))
        return inputs

    def _check_rank(self, shape: tuple) -> None:
        if len(shape) not in (3, 4):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expected a 3-D image or a 4-D '
                f"batch of images, received: shape={shape}"
            )


# ---------------------------------------------------------------------- validation


def check_seed(layer: str, seed: Any) -> None:
    if seed is not None and not is_int(seed):
        raise TypeError(f"{layer}: seed must be an int or None, received: seed={seed!r}")


class FactorAugmentation(ImageAugmentation):
    """An augmentation drawn from a ``factor`` range over pixel values in ``value_range``
    (the colour layers, RandomBrightness, RandomContrast): keeps both, already checked by
    the subclass, and writes them in its config.
    """

    def __init__(
        self,
        factor: Any,
        value_range: tuple[float, float],
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.value_range = value_range

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


def check_choice(layer: str, name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(
            f"{layer}: {name} must be one of {list(choices)}, received: {name}={value!r}"
        )


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def factor_range(
    layer: str,
    name: str,
    value: Any,
    bounds: tuple[float, float],
    *,
    low_inclusive: bool = True,
) -> tuple[float, float]:
    """A ``factor`` as Keras reads it: a number ``f`` means ``(-|f|, |f|)``, a pair
    ``(a, b)`` means ``(min, max)``; every number must lie within ``bounds``.

    Raises:
        TypeError: ``value`` is neither a number nor a pair of numbers.
        ValueError: A pair of the wrong length, or a number outside ``bounds``.
    """
    low, high = bounds
    interval = f"{'[' if low_inclusive else '('}{low}, {high}]"
    if _is_real(value):
        pair = (-abs(float(value)), abs(float(value)))
        checked = (float(value),)
    elif isinstance(value, (tuple, list)) and all(_is_real(v) for v in value):
        if len(value) != 2:
            raise ValueError(
                f"{layer}: {name} must be a number or a pair of numbers in {interval}, "
                f"received: {name}={value!r}"
            )
        pair = tuple(sorted(float(v) for v in value))  # type: ignore[assignment]
        checked = pair
    else:
        raise TypeError(
            f"{layer}: {name} must be a number or a pair of numbers in {interval}, "
            f"received: {name}={value!r}"
        )
    for number in checked:
        above_low = number >= low if low_inclusive else number > low
        if not (above_low and number <= high):
            raise ValueError(
                f"{layer}: {name} must be a number or a pair of numbers in {interval}, "
                f"received: {name}={value!r}"
            )
    return pair


def unit_range(layer: str, name: str, value: Any) -> tuple[float, float]:
    """A factor in ``[0, 1]`` as Keras's newer layers read it: a number ``f`` means
    ``(0, f)``, a pair ``(a, b)`` means ``(min, max)``.

    Raises:
        TypeError: ``value`` is neither a number nor a pair of numbers.
        ValueError: A pair of the wrong length, or a number outside ``[0, 1]``.
    """
    low, high = factor_range(layer, name, value, (0.0, 1.0))
    return (max(low, 0.0), high)


def value_range_pair(layer: str, value_range: Any) -> tuple[float, float]:
    """``value_range`` as a sorted ``(low, high)`` pair of numbers.

    Raises:
        ValueError: ``value_range`` is not a pair of numbers.
    """
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(_is_real(v) for v in value_range)
    ):
        raise ValueError(
            f"{layer}: value_range must be a pair of numbers (low, high), received: "
            f"value_range={value_range!r}"
        )
    low, high = sorted(value_range)
    return (low, high)
