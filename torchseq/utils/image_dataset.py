"""``utils.image_dataset_from_directory``: a batched dataset of images read from sub-directories.

Keras returns a ``tf.data.Dataset``; torchseq returns a :class:`~torchseq.utils.dataset_utils.FileBatches`
(a ``PyDataset``) that ``fit`` / ``evaluate`` / ``predict`` take directly. Batches are float32
tensors ``(batch, height, width, channels)`` (``channels_first``: channels second), decoded by
Pillow and resized with ``ops.image.resize``; labels follow ``label_mode``.

Example:
    >>> train, val = image_dataset_from_directory(  # doctest: +SKIP
    ...     "flowers", image_size=(64, 64), validation_split=0.2, subset="both", seed=7)
    >>> model.fit(train, validation_data=val, epochs=3)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from torchseq import config
from torchseq.utils import dataset_utils
from torchseq.utils.dataset_utils import FileBatches, FileLoader
from torchseq.utils.image_utils import pil_image

__all__ = ["image_dataset_from_directory"]

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")


def image_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
    num_workers: int = 0,
    **kwargs: Any,
) -> FileBatches | FileLoader | list[FileBatches | FileLoader]:
    """Images in ``directory`` as a batched, labelled dataset; mirrors Keras's function.

    With ``labels="inferred"`` every sub-directory is a class (sorted by name, or in the
    order of ``class_names``), searched recursively for ``.bmp``, ``.gif``, ``.jpeg``,
    ``.jpg`` and ``.png`` files. The file list, the shuffle with ``seed`` and the
    training / validation cut are Keras's, so the same files land in each subset.

    Args:
        directory: The root directory.
        labels: ``"inferred"`` (default), ``None`` (images only) or a list of integer
            labels, one per file in sorted path order.
        label_mode: ``"int"`` (default, int32), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32 ``(batch, 1)``, two classes) or ``None`` (no labels).
        class_names: With inferred labels, the sub-directories to use, in label order.
        color_mode: ``"rgb"`` (default), ``"rgba"`` or ``"grayscale"``.
        batch_size: Images per batch. Defaults to ``32``; ``None`` yields single images.
        image_size: ``(height, width)`` (or one int) every image is resized to.
            Defaults to ``(256, 256)``.
        shuffle: Whether to shuffle the files, and reshuffle after every epoch.
            Defaults to ``True``; ``False`` keeps the sorted path order.
        seed: Seed of the shuffles. Defaults to ``None``.
        validation_split: Fraction of the files to keep for validation. Defaults to ``None``.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a ``[training, validation]``
            list); only with ``validation_split``.
        interpolation: ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"``.
        follow_links: Whether to follow symbolic links to directories. Defaults to ``False``.
        crop_to_aspect_ratio: Crop the centre to the target aspect ratio before resizing.
        pad_to_aspect_ratio: Pad (with zeros) to the target aspect ratio before resizing.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to ``None``:
            ``config.image_data_format()``.
        verbose: Whether to print how many files were found. Defaults to ``True``.
        num_workers: A torchseq extension: with ``num_workers > 0`` the files are read and
            decoded in that many worker processes, and a ``FileLoader`` (a ``DataLoader``
            with ``class_names`` and ``file_paths``, the same batches in the same order)
            is returned. Defaults to ``0``: decoded in this process.
        **kwargs: ``workers`` (threads decoding a batch's images), ``use_multiprocessing``
            and ``max_queue_size``, passed to the ``PyDataset``.

    Returns:
        A ``FileBatches`` dataset (``class_names``, ``file_paths``; a ``FileLoader`` with
        ``num_workers``), or a list of two for ``subset="both"``. A batch is ``images`` or
        ``(images, labels)``.
    """
    what = "image_dataset_from_directory"
    if label_mode is None or labels is None:
        labels, label_mode = None, None
    dataset_utils.check_directory_args(
        labels, label_mode, class_names, validation_split, subset, shuffle, seed, what
    )
    dataset_utils.check_num_workers(num_workers, kwargs, what)
    if color_mode not in _CHANNELS:
        raise ValueError(
            f"{what} expected color_mode to be one of {list(_CHANNELS)}, "
            f"received: color_mode={color_mode!r}"
        )
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(
            f"{what} expected image_size to be (height, width), received: image_size={image_size!r}"
        )
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"{what} expected interpolation to be one of {list(_INTERPOLATIONS)}, "
            f"received: interpolation={interpolation!r}"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            f"{what} expected at most one of crop_to_aspect_ratio and pad_to_aspect_ratio, "
            "received both True"
        )
    pil_image()  # fail now, not in the first batch, when Pillow is missing
    if seed is None:
        seed = int(np.random.randint(1e6))
    paths, label_array, names = dataset_utils.index_directory(
        directory, labels, IMAGE_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(names or ()) != 2:
        raise ValueError(
            f"{what} with label_mode='binary' needs exactly 2 classes, received: class_names={names}"
        )
    load = functools.partial(
        _load_image,
        image_size=tuple(int(side) for side in image_size),
        num_channels=_CHANNELS[color_mode],
        interpolation=interpolation,
        crop_to_aspect_ratio=crop_to_aspect_ratio,
        pad_to_aspect_ratio=pad_to_aspect_ratio,
        data_format=config.standardize_data_format(data_format),
    )

    def make(part: str | None, part_shuffle: bool) -> FileBatches | FileLoader:
        part_paths, part_labels = dataset_utils.take_subset(
            paths, label_array, validation_split, part
        )
        if not part_paths:
            kind = f"{part} " if part else ""
            raise ValueError(
                f"No {kind}images found in directory {os.fspath(directory)!r}; "
                f"expected files ending in {', '.join(IMAGE_FORMATS)}"
            )
        encoded = None
        if label_mode is not None and part_labels is not None:
            encoded = dataset_utils.encode_labels(part_labels, label_mode, len(names or ()))
        return dataset_utils.file_dataset(
            part_paths,
            encoded,
            names,
            load,
            _stack,
            batch_size=batch_size,
            shuffle=part_shuffle,
            seed=seed,
            num_workers=num_workers,
            **kwargs,
        )

    if subset == "both":
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)


def _stack(images: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack(images)


def _load_image(
    path: str,
    *,
    image_size: tuple[int, int],
    num_channels: int,
    interpolation: str,
    crop_to_aspect_ratio: bool,
    pad_to_aspect_ratio: bool,
    data_format: str,
) -> torch.Tensor:
    """One image file as a float32 tensor of ``image_size``, in ``data_format``."""
    from torchseq.ops import image as image_ops

    with pil_image().open(path) as img:
        if num_channels == 1:
            if img.mode not in ("L", "I;16", "I"):
                img = img.convert("L")
        else:
            mode = "RGB" if num_channels == 3 else "RGBA"
            if img.mode != mode:
                img = img.convert(mode)
        pixels = np.array(img, dtype="float32")
    image = torch.from_numpy(pixels)
    if image.ndim == 2:
        image = image.unsqueeze(-1)
    if data_format == "channels_first":
        image = image.permute(2, 0, 1)
    return image_ops.resize(
        image,
        image_size,
        interpolation=interpolation,
        crop_to_aspect_ratio=crop_to_aspect_ratio,
        pad_to_aspect_ratio=pad_to_aspect_ratio,
        data_format=data_format,
    )
