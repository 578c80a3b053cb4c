"""``dataset.take(count)``: the first batches of a dataset, standing in for ``tf.data``'s.

Keras's dataset utilities (``timeseries_dataset_from_array``, the
``*_dataset_from_directory`` helpers) return a ``tf.data.Dataset``, and Keras programs look
at one batch with ``for x, y in dataset.take(1):``. torchseq's utilities return a
``PyDataset``; :class:`BatchTaking` gives them ``take``, so those loops run unchanged.

Example:
    >>> import numpy as np
    >>> from torchseq.utils.timeseries_dataset import timeseries_dataset_from_array
    >>> windows = timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
    ...                                         batch_size=4)
    >>> [batch.tolist() for batch in windows.take(1)]
    [[[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]]
"""

from __future__ import annotations

from typing import Any

from torchseq.utils.integers import is_int
from torchseq.utils.sequence import PyDataset

__all__ = ["BatchTaking", "TakenBatches"]


class BatchTaking:
    """Gives a ``PyDataset`` (by index, with ``__len__``) ``take``, as ``tf.data.Dataset``."""

    def take(self, count: int) -> TakenBatches:
        """A dataset of the first ``count`` batches (all of them for ``-1`` or a ``count``
        past the end), as ``tf.data.Dataset.take``; ``fit`` takes it as well.

        Raises:
            TypeError: ``count`` is not an int.
            ValueError: ``count`` is below ``-1``.
        """
        return TakenBatches(self, count)


class TakenBatches(BatchTaking, PyDataset):
    """The first ``count`` batches of another ``PyDataset`` (see :meth:`BatchTaking.take`).

    Args:
        source: The dataset, with ``__len__`` and ``__getitem__``.
        count: How many batches; ``-1`` for all of them.
    """

    def __init__(self, source: PyDataset, count: int) -> None:
        if not is_int(count):
            raise TypeError(
                f"take expected an int count, received: count={count!r} of type "
                f"{type(count).__name__}"
            )
        if count < -1:
            raise ValueError(
                f"take expected count >= 0, or -1 for every batch, received: count={count}"
            )
        super().__init__(
            workers=source.workers,
            use_multiprocessing=source.use_multiprocessing,
            max_queue_size=source.max_queue_size,
        )
        self.source = source
        self.count = int(count)
        self.class_names = getattr(source, "class_names", None)

    def __len__(self) -> int:
        available = len(self.source)
        return available if self.count == -1 else min(self.count, available)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch index out of range: {index} for {len(self)} batches")
        return self.source[index % len(self)]

    def on_epoch_begin(self) -> None:
        self.source.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self.source.on_epoch_end()
