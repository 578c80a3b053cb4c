"""The augmentation operations that ``RandAugment`` and ``AugMix`` choose from.

Both layers build the same family of layers from one ``factor`` pair, under the names Keras
gives them, and apply the chosen ones with their own generator, so one seed repeats the
whole composition.
"""

from __future__ import annotations

import torch

from torchseq.layers.preprocessing._augmentation import ImageAugmentation
from torchseq.layers.preprocessing.auto_contrast import AutoContrast
from torchseq.layers.preprocessing.equalization import Equalization
from torchseq.layers.preprocessing.random_brightness import RandomBrightness
from torchseq.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from torchseq.layers.preprocessing.random_contrast import RandomContrast
from torchseq.layers.preprocessing.random_posterization import RandomPosterization
from torchseq.layers.preprocessing.random_rotation import RandomRotation
from torchseq.layers.preprocessing.random_sharpness import RandomSharpness
from torchseq.layers.preprocessing.random_shear import RandomShear
from torchseq.layers.preprocessing.random_translation import RandomTranslation
from torchseq.layers.preprocessing.solarization import Solarization
from torchseq.utils.integers import is_int

__all__ = ["GEOMETRIC_AND_TONAL", "check_count", "choose", "make_operations"]

# Keras's AugMix "all_ops=False" list: the operations that leave colours' balance alone.
GEOMETRIC_AND_TONAL = (
    "random_shear",
    "random_translation",
    "random_rotation",
    "random_posterization",
    "solarization",
    "auto_contrast",
    "equalization",
)


def make_operations(
    names: tuple[str, ...],
    factor: tuple[float, float],
    value_range: tuple[float, float],
    interpolation: str,
    data_format: str | None,
) -> torch.nn.ModuleDict:
    """The layers called ``names``, each set up from ``factor`` as Keras sets them up."""
    shared = {"data_format": data_format}
    colour = {"value_range": value_range, **shared}
    geometric = {"interpolation": interpolation, **shared}
    builders = {
        "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor, **geometric),
        "random_translation": lambda: RandomTranslation(factor, factor, **geometric),
        "random_rotation": lambda: RandomRotation(factor, **geometric),
        "random_brightness": lambda: RandomBrightness(factor, **colour),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor, **colour),
        "random_contrast": lambda: RandomContrast(factor, **colour),
        "random_sharpness": lambda: RandomSharpness(factor, **colour),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * factor[1])), **colour),
        "solarization": lambda: Solarization(factor, factor, **colour),
        "auto_contrast": lambda: AutoContrast(**colour),
        "equalization": lambda: Equalization(**colour),
    }
    return torch.nn.ModuleDict({name: builders[name]() for name in names})


def choose(count: int, choices: int, layer: ImageAugmentation) -> list[int]:
    """``count`` indices in ``[0, choices)`` from ``layer``'s CPU generator.

    The choices decide which layers run, so they are needed in Python; drawing them on the
    CPU keeps a device's stream free of a synchronisation.
    """
    generator = layer._generator(torch.device("cpu"))
    return torch.randint(choices, (count,), generator=generator).tolist()


def check_count(layer: str, name: str, value: object, minimum: int) -> None:
    """``value`` must be an int of at least ``minimum``."""
    if not is_int(value):
        raise TypeError(f"{layer}: {name} must be an int >= {minimum}, received: {name}={value!r}")
    if value < minimum:
        raise ValueError(f"{layer}: {name} must be an int >= {minimum}, received: {name}={value}")
