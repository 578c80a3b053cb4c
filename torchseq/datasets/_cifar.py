"""Reading the batches of the CIFAR-10 and CIFAR-100 archives (shared by both loaders).

Each batch is a pickled dict written by Python 2: ``data``, a uint8 array with one row of
3 x 32 x 32 values (red, green, blue planes) per image, and the labels as a list of ints.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from torchseq import config
from torchseq.datasets._safe_pickle import load_pickle

__all__ = ["in_image_data_format", "read_batch"]


def read_batch(path: str | os.PathLike[str], label_key: str = "labels") -> tuple[np.ndarray, Any]:
    """The images of one batch, shaped ``(n, 3, 32, 32)``, and its labels as stored (a list).

    Raises:
        ValueError: If the file is not a CIFAR batch holding ``label_key``.
    """
    content = load_pickle(path, encoding="bytes")
    if not isinstance(content, dict):
        raise ValueError(  # noqa: TRY004 - a malformed file is a bad value
            f"{os.fspath(path)} is not a CIFAR batch: expected a pickled dict, "
            f"found a {type(content).__name__}"
        )
    batch = {_text(key): value for key, value in content.items()}
    missing = [key for key in ("data", label_key) if key not in batch]
    if missing:
        raise ValueError(
            f"{os.fspath(path)} is not a CIFAR batch with {label_key!r}: it lacks {missing}, "
            f"found keys {sorted(batch)}"
        )
    images = np.asarray(batch["data"])
    return images.reshape(len(images), 3, 32, 32), batch[label_key]


def in_image_data_format(images: np.ndarray) -> np.ndarray:
    """``(n, 3, 32, 32)`` images as ``(n, 32, 32, 3)`` under ``"channels_last"`` (contiguous)."""
    if config.image_data_format() == "channels_last":
        return np.ascontiguousarray(images.transpose(0, 2, 3, 1))
    return images


def _text(key: Any) -> Any:
    return key.decode("utf8") if isinstance(key, bytes) else key
