"""``Rescaling``: multiply the inputs by a scale and add an offset."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.layers.layer import Layer

__all__ = ["Rescaling"]


class Rescaling(Layer):
    """Multiplies the inputs by ``scale`` and adds ``offset``: ``inputs * scale + offset``.

    Mirrors ``keras.layers.Rescaling``; inputs are cast to the layer's dtype first (so
    ``uint8`` images become floats). ``scale`` and ``offset`` may be numbers or arrays
    broadcastable to the input; when the image data format is ``channels_first`` at
    creation, an array ``scale`` of per-channel values is aligned with the channel axis.

    Args:
        scale: Number or array, the factor.
        offset: Number or array, added after scaling. Default ``0.0``.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> Rescaling(1 / 255)(torch.tensor([0, 255], dtype=torch.uint8))
        tensor([0., 1.])
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        scale = _number_or_array("Rescaling", "scale", scale)
        offset = _number_or_array("Rescaling", "offset", offset)
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        scale_factor = self._as_factor(scale)
        if isinstance(scale_factor, torch.Tensor) and config.image_data_format() == (
            "channels_first"
        ):
            scale_factor = scale_factor.reshape(
                *scale_factor.shape, *(1,) * (3 - scale_factor.ndim)
            )
        self._scale_factor = scale_factor
        self._offset_term = self._as_factor(offset)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(self._dtype)
        scale, offset = self._scale_factor, self._offset_term
        if isinstance(scale, torch.Tensor):
            scale = scale.to(inputs.device)
        if isinstance(offset, torch.Tensor):
            offset = offset.to(inputs.device)
        return inputs * scale + offset

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": _plain(self.scale),
            "offset": _plain(self.offset),
        }

    def _as_factor(self, value: Any) -> float | torch.Tensor:
        if isinstance(value, numbers.Real):
            return float(value)
        return torch.as_tensor(np.asarray(value), dtype=self._dtype)


# ---------------------------------------------------------------------- helpers


def _number_or_array(layer: str, name: str, value: Any) -> Any:
    if isinstance(value, (bool, str)):
        raise TypeError(f"{layer}: {name} must be a number or an array, received: {name}={value!r}")
    if isinstance(value, numbers.Real):
        return value
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{layer}: {name} must be a number or an array, received: {name}={value!r}"
        ) from error
    return array


def _plain(value: Any) -> Any:
    """A config value as JSON-friendly Python (arrays become nested lists)."""
    if value is None or isinstance(value, numbers.Real):
        return value
    return np.asarray(value).tolist()
