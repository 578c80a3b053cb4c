"""``AffineAugmentation``: the base of RandomRotation, RandomZoom, RandomTranslation,
RandomShear and RandomPerspective.

Each draws one affine map per image, written as Keras (and TensorFlow) write it: the six
numbers ``[a0, a1, a2, b0, b1, b2]`` that send output pixel ``(x, y)`` to the input point
``(a0 x + a1 y + a2, b0 x + b1 y + b2)``, in pixel units. All maps are applied in one
``F.grid_sample`` call; what lies outside the input follows ``fill_mode``:

- ``"reflect"``: ``d c b a | a b c d | d c b a`` (about the edge of the last pixel),
- ``"wrap"``: ``a b c d | a b c d | a b c d``,
- ``"constant"``: ``k k k k | a b c d | k k k k`` with ``k = fill_value``,
- ``"nearest"``: ``a a a a | a b c d | d d d d``.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch
import torch.nn.functional as F

from torchseq.layers.preprocessing._augmentation import ImageAugmentation, check_choice

__all__ = ["AffineAugmentation", "sample_affine", "sample_points"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")
# grid_sample's padding for each fill mode; "wrap" samples a circularly padded copy instead.
_PADDING_MODES = {
    "reflect": "reflection",
    "wrap": "border",
    "constant": "zeros",
    "nearest": "border",
}


class AffineAugmentation(ImageAugmentation):
    """Shared machinery: fill mode, interpolation, fill value, and the batched sampling.

    Subclasses implement ``_matrices(batch, height, width, device, generator)``, returning
    the ``(batch, 6)`` float32 maps of one training call.

    Args:
        fill_mode: ``"reflect"`` (default), ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``.
        seed: Optional int for repeatable draws.
        fill_value: The value outside the image for ``fill_mode="constant"`` (default 0).
        data_format: ``"channels_last"`` or ``"channels_first"``.
    """

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        layer = type(self).__name__
        check_choice(layer, "fill_mode", fill_mode, FILL_MODES)
        check_choice(layer, "interpolation", interpolation, INTERPOLATIONS)
        if isinstance(fill_value, bool) or not isinstance(fill_value, Real):
            raise TypeError(
                f"{layer}: fill_value must be a number, received: fill_value={fill_value!r}"
            )
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = float(fill_value)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        height_axis, width_axis = self._spatial_axes
        matrices = self._matrices(
            images.shape[0],
            images.shape[height_axis],
            images.shape[width_axis],
            images.device,
            generator,
        )
        return self._apply_matrices(images, matrices)

    def _apply_matrices(self, images: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
        """``images`` (a 4-D batch in the layer's format) resampled through ``matrices``."""
        images = images.to(self._dtype)
        channels_first = images if not self._channels_last else images.permute(0, 3, 1, 2)
        outputs = sample_affine(
            channels_first, matrices, self.interpolation, self.fill_mode, self.fill_value
        )
        return outputs.permute(0, 2, 3, 1) if self._channels_last else outputs

    def _matrices(
        self,
        batch: int,
        height: int,
        width: int,
        device: torch.device,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        raise NotImplementedError


class HeightWidthAffineAugmentation(AffineAugmentation):
    """An affine augmentation drawn from a height and a width factor (zoom, translation).

    Subclasses validate the factors into ``(low, high)`` ranges before calling this
    constructor (``width_range`` may be ``None``: follow the height draw).
    """

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        *,
        height_range: tuple[float, float],
        width_range: tuple[float, float] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = height_range
        self._width_range = width_range

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }


def sample_affine(
    images: torch.Tensor,
    matrices: torch.Tensor,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> torch.Tensor:
    """``(n, c, h, w)`` float ``images``, each read through its ``[a0, a1, a2, b0, b1, b2]``
    row of ``matrices`` (output pixel to input point, pixel units).

    Rows of eight numbers ``[..., c0, c1]`` are projective maps: both coordinates are then
    divided by ``c0 x + c1 y + 1``.
    """
    n, _, height, width = images.shape
    dtype = images.dtype
    coefficients = [m.reshape(n, 1, 1) for m in matrices.to(dtype).unbind(-1)]
    a0, a1, a2, b0, b1, b2 = coefficients[:6]
    rows = torch.arange(height, dtype=dtype, device=images.device).reshape(1, height, 1)
    columns = torch.arange(width, dtype=dtype, device=images.device).reshape(1, 1, width)
    source_x = a0 * columns + a1 * rows + a2
    source_y = b0 * columns + b1 * rows + b2
    if len(coefficients) == 8:
        c0, c1 = coefficients[6:]
        denominator = c0 * columns + c1 * rows + 1
        source_x, source_y = source_x / denominator, source_y / denominator
    return sample_points(images, source_x, source_y, interpolation, fill_mode, fill_value)


def sample_points(
    images: torch.Tensor,
    source_x: torch.Tensor,
    source_y: torch.Tensor,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
) -> torch.Tensor:
    """``(n, c, h, w)`` float ``images`` read at the input points ``(source_x, source_y)``
    (``(n, h, w)`` each, pixel units), one point per output pixel.

    Besides :data:`FILL_MODES`, ``fill_mode="mirror"`` reflects about the centre of the
    edge pixel (``d c b | a b c d | c b a``).
    """
    n, _, height, width = images.shape
    dtype = images.dtype
    if fill_mode == "wrap":
        # One pixel of circular padding lets both bilinear neighbours of a wrapped point
        # be read directly: the point moves into [1, size + 1) of the padded image.
        images = F.pad(images, (1, 1, 1, 1), mode="circular")
        source_x = torch.remainder(source_x, width) + 1
        source_y = torch.remainder(source_y, height) + 1
        height, width = height + 2, width + 2
    if fill_mode == "mirror":
        # With align_corners=True, -1 and 1 are the outer pixel centres, which is where
        # grid_sample's reflection then folds the points.
        grid = torch.stack(
            [2 * source_x / max(width - 1, 1) - 1, 2 * source_y / max(height - 1, 1) - 1], dim=-1
        )
        return F.grid_sample(
            images, grid, mode=interpolation, padding_mode="reflection", align_corners=True
        )
    # grid_sample's coordinates with align_corners=False: -1 and 1 are the outer pixel edges.
    grid = torch.stack([(2 * source_x + 1) / width - 1, (2 * source_y + 1) / height - 1], dim=-1)
    padding_mode = _PADDING_MODES[fill_mode]
    outputs = F.grid_sample(
        images, grid, mode=interpolation, padding_mode=padding_mode, align_corners=False
    )
    if fill_mode == "constant" and fill_value != 0:
        # Each output is sum(w_i * v_i) over in-image neighbours; the weight that fell
        # outside (1 minus the sampled coverage of ones) takes the fill value.
        ones = torch.ones((n, 1, height, width), dtype=dtype, device=images.device)
        coverage = F.grid_sample(
            ones, grid, mode=interpolation, padding_mode="zeros", align_corners=False
        )
        outputs = outputs + (1 - coverage) * fill_value
    return outputs
