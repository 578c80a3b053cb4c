"""``RandomPosterization``: keep only a few bits of each colour value in training."""

from __future__ import annotations

from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import FactorAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import to_range
from torchseq.utils.integers import is_int

__all__ = ["RandomPosterization"]

_BITS = 8


class RandomPosterization(FactorAugmentation):
    """Reduces each image to a random number of bits per channel in training; mirrors
    ``keras.layers.RandomPosterization``.

    Values are mapped from ``value_range`` to ``[0, 255]``, truncated to 8-bit integers,
    their lowest ``8 - bits`` bits cleared, and mapped back, in the layer's dtype. The
    number of bits kept is drawn per image from ``[low, high)`` (exactly ``low`` when the
    two are equal), as Keras draws it. In inference mode the images are returned
    unchanged, as Keras does.

    Args:
        factor: An int ``f`` in ``[1, 8]`` for bits drawn from ``[1, f)``, or a pair of
            ints ``(low, high)`` in ``[1, 8]``.
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.
        seed: Optional int for repeatable draws.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.tensor([[[[255.0, 100.0, 31.0]]]])
        >>> RandomPosterization((2, 2))(images, training=True)
        tensor([[[[192.,  64.,   0.]]]])
    """

    def __init__(
        self,
        factor: int | tuple[int, int],
        value_range: tuple[float, float] = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        factor = _bits_range(factor)
        value_range = value_range_pair("RandomPosterization", value_range)
        super().__init__(factor, value_range, seed=seed, data_format=data_format, **kwargs)

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        low, high = self.factor
        batch, device = images.shape[0], images.device
        if low == high:
            bits = torch.full((batch,), low, device=device)
        else:
            bits = torch.randint(low, high, (batch,), generator=generator, device=device)
        return self._adjust(images, bits)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        return images

    def _adjust(self, images: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        """``images`` keeping ``bits`` (one int per image) of each 8-bit value."""
        images = to_range(images.to(self._dtype), self.value_range, (0.0, 255.0))
        shifts = (_BITS - bits).to(torch.uint8).reshape(-1, 1, 1, 1)
        values = images.to(torch.uint8)
        values = torch.bitwise_left_shift(torch.bitwise_right_shift(values, shifts), shifts)
        return to_range(values.to(self._dtype), (0.0, 255.0), self.value_range)


def _bits_range(factor: Any) -> tuple[int, int]:
    message = (
        "RandomPosterization: factor must be an int or a pair of ints in [1, 8], "
        f"received: factor={factor!r}"
    )
    if is_int(factor):
        numbers = [int(factor)]
        pair = (1, int(factor))
    elif isinstance(factor, (tuple, list)) and all(is_int(f) for f in factor):
        if len(factor) != 2:
            raise ValueError(message)
        numbers = [int(f) for f in factor]
        pair = tuple(sorted(numbers))
    else:
        raise TypeError(message)
    if not all(1 <= number <= _BITS for number in numbers):
        raise ValueError(message)
    return pair  # type: ignore[return-value]
