"""``AugMix``: mix an image with chains of random augmentations of itself in training."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import torch

from torchseq.layers.preprocessing._augmentation import (
    ImageAugmentation,
    check_choice,
    value_range_pair,
)
from torchseq.layers.preprocessing._augmentation_ops import (
    GEOMETRIC_AND_TONAL,
    check_count,
    choose,
    make_operations,
)
from torchseq.layers.preprocessing._color import unit_factor

__all__ = ["AugMix"]

_ALL_OPERATIONS = (
    *GEOMETRIC_AND_TONAL,
    "random_brightness",
    "random_color_degeneration",
    "random_contrast",
    "random_sharpness",
)


class AugMix(ImageAugmentation):
    """Mixes each batch with chains of random augmentations of itself in training; mirrors
    ``keras.layers.AugMix``.

    Each of ``num_chains`` chains takes up to ``chain_depth`` steps, each step one operation
    chosen at random for the batch or none (one more choice); each chosen operation draws
    its own parameters per image. The chains' results are averaged with weights from a
    Dirichlet(``alpha``) draw, and the result is ``m x + (1 - m) chains`` with ``m`` drawn
    from Beta(``alpha``, ``alpha``), clipped to ``value_range``. Choices and weights come
    from the layer's CPU generator (Keras 3 takes the choices from Python's unseeded
    ``random``), parameters from its generator on the images' device. Outputs are in the
    layer's dtype, in inference mode too (where the images are otherwise unchanged), as
    Keras does.

    Args:
        value_range: ``(low, high)``, the range of the pixel values. Default ``(0, 255)``.
        num_chains: The number of chains, an int ``>= 1``. Default ``3``.
        chain_depth: The most steps in a chain, an int ``>= 1``. Default ``3``.
        factor: A number ``f`` in ``[0, 1]`` for strengths in ``[0, f]``, or a pair
            ``(a, b)`` in ``[0, 1]``. Default ``0.3``.
        alpha: The concentration of the Dirichlet and Beta draws, a number ``> 0``.
            Default ``1.0``.
        all_ops: Whether to include brightness, colour degeneration, contrast and
            sharpness; the other operations are shear, translation, rotation,
            posterization, solarization, auto-contrast and equalization. Default ``True``.
        interpolation: ``"bilinear"`` (default) or ``"nearest"``, for the geometric
            operations.
        seed: Optional int for repeatable choices and draws.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``config.image_data_format()``.

    Input shape: ``(batch, height, width, 3)`` or one image ``(height, width, 3)``
    (channels first with ``data_format="channels_first"``).
    Output shape: the input's shape.

    Example:
        >>> images = torch.rand(2, 8, 8, 3) * 255
        >>> AugMix(seed=0)(images, training=True).shape
        torch.Size([2, 8, 8, 3])
    """

    def __init__(
        self,
        value_range: tuple[float, float] = (0, 255),
        num_chains: int = 3,
        chain_depth: int = 3,
        factor: float | tuple[float, float] = 0.3,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: str = "bilinear",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        value_range = value_range_pair("AugMix", value_range)
        check_count("AugMix", "num_chains", num_chains, 1)
        check_count("AugMix", "chain_depth", chain_depth, 1)
        factor = unit_factor("AugMix", "factor", factor)
        if isinstance(alpha, bool) or not isinstance(alpha, Real):
            raise TypeError(f"AugMix: alpha must be a number > 0, received: alpha={alpha!r}")
        if not alpha > 0:
            raise ValueError(f"AugMix: alpha must be a number > 0, received: alpha={alpha!r}")
        if not isinstance(all_ops, bool):
            raise TypeError(f"AugMix: all_ops must be a bool, received: all_ops={all_ops!r}")
        check_choice("AugMix", "interpolation", interpolation, ("bilinear", "nearest"))
        names = _ALL_OPERATIONS if all_ops else GEOMETRIC_AND_TONAL
        operations = make_operations(names, factor, value_range, interpolation, data_format)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = factor
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.operations = operations

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "value_range": self.value_range,
            "num_chains": self.num_chains,
            "chain_depth": self.chain_depth,
            "factor": self.factor,
            "alpha": self.alpha,
            "all_ops": self.all_ops,
            "interpolation": self.interpolation,
        }

    def _augment(self, images: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        names = list(self.operations)
        chains = [
            [names[i] for i in choose(self.chain_depth, len(names) + 1, self) if i < len(names)]
            for _ in range(self.num_chains)
        ]
        weights, mix = self._mixing_weights()
        return self._apply(images, chains, weights, mix, generator)

    def _apply(
        self,
        images: torch.Tensor,
        chains: list[list[str]],
        weights: list[float],
        mix: float,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """``images`` mixed with the ``chains`` of operations (by name), weighted."""
        images = images.to(self._dtype)
        mixed = torch.zeros_like(images)
        for chain, weight in zip(chains, weights):
            augmented = images
            for name in chain:
                augmented = self.operations[name]._augment(augmented, generator)
            mixed = mixed + weight * augmented
        return (mix * images + (1.0 - mix) * mixed).clamp(*self.value_range).to(self._dtype)

    def _mixing_weights(self) -> tuple[list[float], float]:
        """Dirichlet chain weights and the Beta mixing weight, from the CPU generator."""
        generator = self._generator(torch.device("cpu"))
        seed = int(torch.randint(2**62, (1,), generator=generator))
        rng = np.random.default_rng(seed)
        weights = rng.dirichlet([self.alpha] * self.num_chains).tolist()
        return weights, float(rng.beta(self.alpha, self.alpha))
