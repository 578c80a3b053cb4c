"""``utils.PyDataset`` (Keras 3) and its Keras-2 name ``utils.Sequence``: batches by index.

A ``PyDataset`` hands ``fit`` / ``evaluate`` / ``predict`` one whole batch per index:
subclasses implement ``__len__`` (the number of batches) and ``__getitem__(index)`` returning
``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``. ``on_epoch_begin`` and
``on_epoch_end`` are called around every epoch, so a dataset can reshuffle itself there.

As in Keras 3, ``Sequence`` is the same class as ``PyDataset``.

Example:
    >>> import math
    >>> import numpy as np
    >>> class Batches(PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return math.ceil(len(self.x) / self.batch_size)
    ...     def __getitem__(self, index):
    ...         window = slice(index * self.batch_size, (index + 1) * self.batch_size)
    ...         return self.x[window], self.y[window]
    >>> data = Batches(np.zeros((10, 3)), np.arange(10), batch_size=4)
    >>> len(data), data[2][0].shape
    (3, (2, 3))
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from torchseq.utils.integers import is_int

__all__ = ["PyDataset", "Sequence"]

_DEFAULT_WORKERS = 1
_DEFAULT_MULTIPROCESSING = False
_DEFAULT_QUEUE_SIZE = 10


class PyDataset:
    """Base class for a dataset that returns whole batches by index; mirrors ``keras.utils.PyDataset``.

    torchseq iterates a ``PyDataset`` in the calling thread, one batch at a time. The
    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` arguments are accepted and
    kept (so Keras code runs unchanged) but start no threads or processes; for parallel
    loading, wrap the data in a ``torch.utils.data.Dataset`` and pass a ``DataLoader`` with
    ``num_workers``.

    Subclasses written for Keras 2's ``Sequence`` often skip ``super().__init__()``; the
    three attributes then read as their defaults.

    Args:
        workers: Number of workers Keras would use. Defaults to ``1``.
        use_multiprocessing: Whether Keras would use processes rather than threads.
            Defaults to ``False``.
        max_queue_size: How many batches Keras would prepare ahead. Defaults to ``10``.
    """

    def __init__(
        self,
        workers: int = _DEFAULT_WORKERS,
        use_multiprocessing: bool = _DEFAULT_MULTIPROCESSING,
        max_queue_size: int = _DEFAULT_QUEUE_SIZE,
    ) -> None:
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    @property
    def workers(self) -> int:
        """Number of workers (accepted for Keras compatibility; iteration is single-threaded)."""
        return self.__dict__.get("_workers", _DEFAULT_WORKERS)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = _non_negative_int("workers", value)

    @property
    def use_multiprocessing(self) -> bool:
        """Whether Keras would use processes (accepted for compatibility, not used)."""
        return self.__dict__.get("_use_multiprocessing", _DEFAULT_MULTIPROCESSING)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(
                "use_multiprocessing must be a bool, received: "
                f"use_multiprocessing={value!r} of type {type(value).__name__}"
            )
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """How many batches Keras would prepare ahead (accepted for compatibility, not used)."""
        return self.__dict__.get("_max_queue_size", _DEFAULT_QUEUE_SIZE)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = _non_negative_int("max_queue_size", value)

    def __len__(self) -> int:
        """The number of batches; subclasses implement it (or override ``num_batches``)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ (the number of batches), or "
            "override the num_batches property (returning None for an endless dataset)"
        )

    def __getitem__(self, index: int) -> Any:
        """The batch at position ``index``: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch, ``len(self)`` by default; ``None`` means endless."""
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before the first batch of every epoch. Does nothing by default."""

    def on_epoch_end(self) -> None:
        """Called after the last batch of every epoch. Does nothing by default."""

    def __iter__(self) -> Iterator[Any]:
        count = self.num_batches
        indices = itertools.count() if count is None else range(count)
        for index in indices:
            yield self[index]


Sequence = PyDataset
"""Keras 2's name for :class:`PyDataset`; the same class, as in Keras 3."""


def _non_negative_int(name: str, value: Any) -> int:
    if not is_int(value):
        raise TypeError(
            f"{name} must be an int, received: {name}={value!r} of type {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(f"{name} must be >= 0, received: {name}={value}")
    return int(value)
