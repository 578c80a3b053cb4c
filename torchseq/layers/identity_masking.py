"""Identity and Masking: layers that pass their input on (Masking also marks padded steps)."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from torchseq.layers.layer import Layer

__all__ = ["Identity", "Masking"]


class Identity(Layer):
    """Returns its input unchanged; a placeholder. Mirrors ``keras.layers.Identity``.

    Input shape: any (also a structure of tensors). Output shape: the same.

    Example:
        >>> x = torch.ones(2, 3)
        >>> Identity()(x) is x
        True
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return mask


class Masking(Layer):
    """Masks the timesteps whose features all equal ``mask_value``.

    Mirrors ``keras.layers.Masking``. A timestep (an index of axis 1) is masked when every
    value along the last axis equals ``mask_value``; its output is set to 0 and
    ``compute_mask`` returns ``False`` for it, so that mask-aware layers downstream (an
    ``LSTM``, a pooling layer) skip it. The output carries the mask as ``_keras_mask``,
    as in Keras.

    Args:
        mask_value: Number; timesteps entirely equal to it are masked. Default ``0.0``.

    Input shape: ``(batch, timesteps, features)`` or any rank >= 2.
    Output shape: the input's shape. Mask shape: the input's shape without the last axis.

    Example:
        >>> x = torch.tensor([[[1.0, 2.0], [0.0, 0.0]]])
        >>> Masking().compute_mask(x)
        tensor([[ True, False]])
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise TypeError(
                f"Masking: mask_value must be a number, received: mask_value={mask_value!r}"
            )
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        keep = self._keep(inputs)
        outputs = inputs.masked_fill(~keep.unsqueeze(-1), 0)
        outputs._keras_mask = keep
        return outputs

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    @property
    def produces_masks(self) -> bool:
        return True

    def compute_mask(self, inputs: torch.Tensor, mask: Any = None) -> torch.Tensor:
        return self._keep(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mask_value": self.mask_value}

    def _keep(self, inputs: torch.Tensor) -> torch.Tensor:
        """True for the steps with at least one feature different from ``mask_value``."""
        return (inputs != self.mask_value).any(dim=-1)
