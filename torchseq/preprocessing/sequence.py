"""``keras.preprocessing.sequence``: in Keras 3, only ``pad_sequences`` is left here.

Example:
    >>> from torchseq.preprocessing import sequence
    >>> sequence.pad_sequences([[1, 2], [3]], padding="post")
    array([[1, 2],
           [3, 0]], dtype=int32)
"""

from __future__ import annotations

from torchseq.utils.sequence_utils import pad_sequences

__all__ = ["pad_sequences"]
