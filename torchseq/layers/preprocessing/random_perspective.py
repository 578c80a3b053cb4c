"""``RandomPerspective``: move images' corners by random amounts in training."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from torchseq.layers.preprocessing._affine_augmentation import AffineAugmentation
from torchseq.layers.preprocessing._augmentation import unit_range

__all__ = ["RandomPerspective"]


class RandomPerspective(AffineAugmentation):
    """Applies a random perspective warp to some images in training; mirrors
    ``keras.layers.RandomPerspective``.

    Each image is warped with a probability drawn from ``factor``'s range. A warp moves
    the corners of the image: corner ``p`` (pixel units, from the top-left pixel) goes to
    ``p * (1 + d)`` with ``d`` drawn per coordinate from ``[-scale / 2, scale / 2]``, so
    the top-left corner stays put, as in Keras. What the warp reveals takes
    ``fill_value``. In inference mode the images are only cast to the layer's dtype
    (``float32`` by default), as Keras does.

    Args:
        factor: A number ``f`` in ``[0, 1]`` for warp probabilities drawn from ``[0, f]``,
            or a pair ``(low, high)`` in ``[0, 1]``. Default 1.
        scale: A number in ``[0, 1]``: how far the corners move. Default 1.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        fill_value: The value outside the input image (default 0).
        seed: Optional int for repeatable warps.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3)
        >>> RandomPerspective(scale=0.5, seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        factor: float | tuple[float, float] = 1.0,
        scale: float = 1.0,
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        factor = unit_range("RandomPerspective", "factor", factor)
        if isinstance(scale, bool) or not isinstance(scale, Real) or not 0 <= scale <= 1:
            raise ValueError(
                f"RandomPerspective: scale must be a number in [0, 1], received: scale={scale!r}"
            )
        super().__init__(
            fill_mode="constant",
            interpolation=interpolation,
            seed=seed,
            fill_value=fill_value,
            data_format=data_format,
            **kwargs,
        )
        self.factor = factor
        self.scale = float(scale)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "factor": self.factor, "scale": self.scale}
        del config["fill_mode"]  # always "constant"; Keras's layer takes no fill_mode
        return config

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        batch, device = images.shape[0], images.device
        chosen = self._chosen(self.factor, batch, device, generator)
        warped = super()._augment(images, generator)
        return torch.where(chosen.reshape(-1, 1, 1, 1), warped, images.to(warped.dtype))

    def _matrices(
        self,
        batch: int,
        height: int,
        width: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        half = 0.5 * self.scale
        moves = self._uniform(-half, half, batch * 8, device, generator).reshape(batch, 4, 2)
        corners = torch.tensor(
            [[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]],
            device=device,
        ).expand(batch, 4, 2)
        return homography_matrices(corners, corners + corners * moves)


def homography_matrices(start_points: torch.Tensor, end_points: torch.Tensor) -> torch.Tensor:
    """The projective maps ``[a0, a1, a2, b0, b1, b2, c0, c1]`` that send each image's four
    ``end_points`` (output pixels, ``(batch, 4, 2)`` as ``(x, y)``) to its ``start_points``
    (input points)."""
    start_x, start_y = start_points.unbind(-1)
    end_x, end_y = end_points.unbind(-1)
    ones, zeros = torch.ones_like(end_x), torch.zeros_like(end_x)
    x_rows = [end_x, end_y, ones, zeros, zeros, zeros, -start_x * end_x, -start_x * end_y]
    y_rows = [zeros, zeros, zeros, end_x, end_y, ones, -start_y * end_x, -start_y * end_y]
    system = torch.stack([torch.stack(x_rows, -1), torch.stack(y_rows, -1)], dim=2)
    targets = torch.stack([start_x, start_y], dim=2)
    batch = start_points.shape[0]
    return torch.linalg.solve(system.reshape(batch, 8, 8), targets.reshape(batch, 8))
