"""``RandomCrop``: crop a random window of a fixed size in training."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation
from torchseq.ops.image import resize

__all__ = ["RandomCrop"]


class RandomCrop(ImageAugmentation):
    """Crops a random ``height`` x ``width`` window in training; mirrors
    ``keras.layers.RandomCrop``.

    In training, images at least as large as the target lose a random window's
    surroundings; one window position serves the whole batch, as in Keras. In inference
    (and in training for images smaller than the target) the centre of the image is cut
    to the target's aspect ratio and resized (bilinear) to the target, the largest window
    that fits: the output always has the target size. The output has the layer's dtype
    (``float32`` by default).

    Args:
        height: Positive int, the output's height.
        width: Positive int, the output's width.
        seed: Optional int for repeatable windows. The window position is drawn on the
            CPU, so choosing it never waits for the device.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: ``(batch, height, width, channels)`` with the layer's height and width.

    Example:
        >>> images = torch.rand(2, 8, 8, 3)
        >>> RandomCrop(4, 5, seed=0)(images, training=True).shape
        torch.Size([2, 4, 5, 3])
    """

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        for name, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(
                    f"RandomCrop: {name} must be a positive integer, received: {name}={value!r}"
                )
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = int(height)
        self.width = int(width)

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check_rank(tuple(input_shape))
        shape = list(input_shape)
        height_axis = len(shape) - (3 if self._channels_last else 2)
        shape[height_axis : height_axis + 2] = [self.height, self.width]
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        height_axis, width_axis = self._spatial_axes
        spare_height = images.shape[height_axis] - self.height
        spare_width = images.shape[width_axis] - self.width
        if spare_height < 0 or spare_width < 0:
            return self._infer(images)
        cpu = self._generator(torch.device("cpu"))
        top = int(torch.randint(spare_height + 1, (), generator=cpu))
        left = int(torch.randint(spare_width + 1, (), generator=cpu))
        window = images.narrow(height_axis, top, self.height).narrow(width_axis, left, self.width)
        return window.to(self._dtype)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        height_axis, width_axis = self._spatial_axes
        images = images.to(self._dtype)
        if (images.shape[height_axis], images.shape[width_axis]) == (self.height, self.width):
            return images
        return resize(
            images,
            (self.height, self.width),
            crop_to_aspect_ratio=True,
            data_format=self.data_format,
        )
