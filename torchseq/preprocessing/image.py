"""``keras.preprocessing.image``: in Keras 3, the image file helpers and ``smart_resize``.

Keras 2's ``ImageDataGenerator`` and the random-transform functions are gone from Keras 3;
use ``utils.image_dataset_from_directory`` and the augmentation layers (``layers.RandomFlip``
and friends) instead.

Example:
    >>> from torchseq.preprocessing import image
    >>> image.smart_resize(np.zeros((40, 60, 3)), (20, 20)).shape  # doctest: +SKIP
    (20, 20, 3)
"""

from __future__ import annotations

from torchseq.utils.image_utils import (
    array_to_img,
    img_to_array,
    load_img,
    save_img,
    smart_resize,
)

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
