"""``ContrastLimitedAdaptiveHistogramEqualization``: tile-wise histogram equalization."""

from __future__ import annotations

from numbers import Real
from typing import Any

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation, value_range_pair
from torchseq.layers.preprocessing._color import to_range
from torchseq.utils.integers import is_int

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization"]

_LEVELS = 256


class ContrastLimitedAdaptiveHistogramEqualization(ImageAugmentation):
    """Equalizes histograms tile by tile, with limited contrast (CLAHE); mirrors
    ``keras.layers.ContrastLimitedAdaptiveHistogramEqualization``.

    Values are mapped from ``value_range`` to ``[0, 255]`` and each image is cut into a
    ``tile_grid_size`` grid of tiles (padded at the bottom and right by mirroring when the
    sizes do not divide). Each tile's 256-bin histogram, per channel, is clipped at
    ``clip_limit`` times the mean bin count, the excess spread evenly over all bins, and
    turned into a lookup table; each pixel's value is the bilinear blend of the tables of
    the four nearest tile centres, mapped back to ``value_range``. The layer is
    deterministic and, as in Keras, acts in inference mode as well as in training.
    Outputs keep the input's dtype (integer results are truncated, as in Keras).

    Keras 3 on its torch backend pads by repeating the edge pixels and truncates the clip
    to a whole count (a clip below one pixel per bin flattens every histogram); its other
    backends mirror and keep the fraction, as torchseq does.

    Args:
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        clip_limit: The histogram clip as a multiple of the mean bin count; ``<= 0``
            turns clipping off. Default ``4.0``.
        tile_grid_size: ``(rows, columns)`` of tiles, positive ints. Default ``(8, 8)``.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, channels)`` or one image ``(height, width,
    channels)`` (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 16, 16, 3) * 255
        >>> ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(4, 4))(images).shape
        torch.Size([2, 16, 16, 3])
    """

    def __init__(
        self,
        value_range: tuple[float, float] = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: tuple[int, int] = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        layer = "ContrastLimitedAdaptiveHistogramEqualization"
        value_range = value_range_pair(layer, value_range)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, Real):
            raise TypeError(f"{layer}: clip_limit must be a number, received: {clip_limit!r}")
        if (
            not isinstance(tile_grid_size, (tuple, list))
            or len(tile_grid_size) != 2
            or not all(is_int(size) and size > 0 for size in tile_grid_size)
        ):
            raise ValueError(
                f"{layer}: tile_grid_size must be a pair of positive ints (rows, columns), "
                f"received: tile_grid_size={tile_grid_size!r}"
            )
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tuple(tile_grid_size)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        }
        del config["seed"]  # deterministic: Keras has no seed here
        return config

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return self._infer(images)

    def _infer(self, images: torch.Tensor) -> torch.Tensor:
        values = to_range(images.to(torch.float32), self.value_range, (0.0, 255.0))
        planes = values.permute(0, 3, 1, 2) if self._channels_last else values
        equalized = to_range(self._equalize(planes), (0.0, 255.0), self.value_range)
        if self._channels_last:
            equalized = equalized.permute(0, 2, 3, 1)
        return equalized.to(images.dtype)

    def _equalize(self, planes: torch.Tensor) -> torch.Tensor:
        """``(batch, channels, height, width)`` values in ``[0, 255]``, equalized."""
        batch, channels, height, width = planes.shape
        rows, columns = self.tile_grid_size
        tile_h, tile_w = -(-height // rows), -(-width // columns)
        padded = _pad_symmetric(planes, tile_h * rows, tile_w * columns)
        levels = padded.to(torch.int64).clamp(0, _LEVELS - 1)
        tables = self._tile_tables(levels, tile_h, tile_w)
        # Tables of the tiles around each pixel: one extra ring of tiles copies the edge.
        tables = torch.cat([tables[:, :, :1], tables, tables[:, :, -1:]], dim=2)
        tables = torch.cat([tables[:, :, :, :1], tables, tables[:, :, :, -1:]], dim=3)
        top, bottom, row_weight = _neighbours(tile_h * rows, tile_h, rows, planes.device)
        left, right, column_weight = _neighbours(tile_w * columns, tile_w, columns, planes.device)
        batch_index = torch.arange(batch, device=planes.device).reshape(-1, 1, 1, 1)
        channel_index = torch.arange(channels, device=planes.device).reshape(1, -1, 1, 1)

        def lookup(row: torch.Tensor, column: torch.Tensor) -> torch.Tensor:
            return tables[batch_index, channel_index, row[:, None], column[None, :], levels]

        upper = torch.lerp(lookup(top, left), lookup(top, right), column_weight[None, :])
        lower = torch.lerp(lookup(bottom, left), lookup(bottom, right), column_weight[None, :])
        blended = torch.lerp(upper, lower, row_weight[:, None])
        return blended[..., :height, :width]

    def _tile_tables(self, levels: torch.Tensor, tile_h: int, tile_w: int) -> torch.Tensor:
        """The clipped-histogram lookup tables ``(batch, channels, rows, columns, 256)``."""
        batch, channels = levels.shape[:2]
        rows, columns = self.tile_grid_size
        tiles = levels.reshape(batch, channels, rows, tile_h, columns, tile_w)
        tiles = tiles.permute(0, 1, 2, 4, 3, 5).reshape(batch, channels, rows, columns, -1)
        counts = torch.zeros(*tiles.shape[:-1], _LEVELS, device=levels.device)
        counts.scatter_add_(-1, tiles, torch.ones(tiles.shape, device=levels.device))
        pixels = tile_h * tile_w
        if self.clip_limit > 0:
            clipped = counts.clamp(max=self.clip_limit * pixels / _LEVELS)
            excess = (counts - clipped).sum(-1, keepdim=True)
            counts = clipped + excess / _LEVELS
        cumulative = counts.cumsum(-1)
        lowest = cumulative.amin(-1, keepdim=True)
        spread = pixels - lowest
        spread = torch.where(spread == 0, 1.0, spread)
        return ((cumulative - lowest) * 255.0 / spread).clamp(0.0, 255.0)


def _pad_symmetric(planes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``planes`` grown to ``height`` x ``width`` at the bottom and right by mirroring
    (the edge pixel repeated, as numpy's ``"symmetric"`` mode)."""

    def mirrored(size: int, target: int) -> torch.Tensor:
        index = torch.arange(target, device=planes.device) % (2 * size)
        return torch.where(index < size, index, 2 * size - 1 - index)

    rows = mirrored(planes.shape[2], height)
    columns = mirrored(planes.shape[3], width)
    return planes[:, :, rows[:, None], columns[None, :]]


def _neighbours(
    length: int, tile: int, tiles: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For each pixel along an axis: the tile (of the ring-padded grid) whose centre is
    before it, the one after, and the weight of the one after."""
    position = (torch.arange(length, dtype=torch.float32, device=device) - tile / 2.0) / tile
    position = position + 1.0
    before = position.floor()
    weight = position - before
    before_index = before.clamp(0, tiles + 1).to(torch.int64)
    after_index = (before + 1.0).clamp(0, tiles + 1).to(torch.int64)
    return before_index, after_index, weight
