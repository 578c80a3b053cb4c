"""ActivityRegularization: an identity layer that adds an L1/L2 penalty of its input."""

from __future__ import annotations

from typing import Any

import torch

from torchseq import regularizers
from torchseq.layers.layer import Layer

__all__ = ["ActivityRegularization"]


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum|x| + l2 * sum x^2`` to the losses.

    Mirrors ``keras.layers.ActivityRegularization``: the penalty is divided by the batch
    size (as for any layer's ``activity_regularizer``) and is available in
    ``layer.losses`` after each call, where the trainer adds it to the loss.

    Args:
        l1: Non-negative L1 factor; default ``0.0``.
        l2: Non-negative L2 factor; default ``0.0``.

    Input shape: any. Output shape: the input's shape.

    Example:
        >>> layer = ActivityRegularization(l2=0.5)
        >>> _ = layer(torch.ones(2, 3))
        >>> float(layer.losses[0])  # 0.5 * 6 / batch 2
        1.5
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        try:
            penalty = regularizers.L1L2(l1=l1, l2=l2)
        except (TypeError, ValueError) as error:
            raise type(error)(f"ActivityRegularization: {error}") from error
        super().__init__(activity_regularizer=penalty, **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config_ = super().get_config()
        config_.pop("activity_regularizer", None)
        return {**config_, "l1": self.l1, "l2": self.l2}
