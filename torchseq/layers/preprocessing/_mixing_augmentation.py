"""``MixingAugmentation``: the base of MixUp and CutMix.

Both mix each image of a batch with another one of the same batch (a random
permutation), and mix the labels, when given, in the proportions the images were mixed.
Like Keras, they take either images or a dict ``{"images": ..., "labels": ...}`` (other
keys pass through) and return the same kind; labels are ``(batch, ...)`` one-hot or
soft targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation

__all__ = ["MixingAugmentation"]


class MixingAugmentation(ImageAugmentation):
    """Shared machinery: the images/labels dict, and labels mixed as the images were.

    Subclasses implement ``_mix(images, generator)``, returning the mixed images, the
    permutation each image was mixed with, and each image's own share (``(batch,)``).
    A single image (no batch axis) has no other image to mix with and is only cast.
    """

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if training is None:
            training = self.training
        if isinstance(inputs, dict) and "images" not in inputs:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expected images or a dict with '
                f'an "images" key, received a dict with keys: {sorted(inputs)}'
            )
        data = inputs if isinstance(inputs, dict) else {"images": inputs}
        images = self._as_images(data["images"])
        labels = data.get("labels")
        if labels is not None:
            labels = self._as_labels(labels, images)
        if training and images.ndim == 4:
            mixed, permutation, shares = self._mix(images, self._generator(images.device))
            if labels is not None:
                shares = shares.to(labels.dtype).reshape(-1, *([1] * (labels.ndim - 1)))
                labels = shares * labels + (1 - shares) * labels[permutation]
        else:
            mixed = self._infer(images)
        if not isinstance(inputs, dict):
            return mixed
        outputs = {**inputs, "images": mixed}
        if labels is not None:
            outputs["labels"] = labels
        return outputs

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return self._mix(images, generator)[0]

    def _mix(
        self, images: torch.Tensor, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _as_labels(self, labels: Any, images: torch.Tensor) -> torch.Tensor:
        if not isinstance(labels, torch.Tensor):
            labels = torch.as_tensor(np.asarray(labels))
        labels = labels.to(images.device)
        if not labels.is_floating_point():
            labels = labels.to(self._dtype)
        batch = images.shape[0] if images.ndim == 4 else None
        if batch is not None and (labels.ndim == 0 or labels.shape[0] != batch):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) expected one row of labels per '
                f"image ({batch}), received: labels.shape={tuple(labels.shape)}"
            )
        return labels
