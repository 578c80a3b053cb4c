"""``utils.timeseries_dataset_from_array``: sliding windows over a time series, in batches.

Keras returns a ``tf.data.Dataset``; torchseq returns a :class:`TimeseriesDataset`, a
``PyDataset`` that ``fit`` / ``evaluate`` / ``predict`` take directly (and, as ``tf.data``,
``dataset.take(1)`` for a look at the first batch). A batch is gathered with
one indexing operation; no window is copied before it is asked for.

Example:
    >>> import numpy as np
    >>> data = np.arange(10)
    >>> windows = timeseries_dataset_from_array(data, None, sequence_length=3, batch_size=4)
    >>> windows[0].tolist()
    [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from torchseq.utils.sequence import PyDataset
from torchseq.utils.taken_batches import BatchTaking

__all__ = ["TimeseriesDataset", "timeseries_dataset_from_array"]


class TimeseriesDataset(BatchTaking, PyDataset):
    """Batches of windows ``data[p : p + sequence_length * sampling_rate : sampling_rate]``.

    Window ``i`` starts at ``start_positions[i]`` (relative to ``start_index``); its target,
    when there are targets, is ``targets[start_index + start_positions[i]]``. With ``shuffle``
    the windows are reshuffled after every epoch (seeded by ``seed``).

    Attributes:
        start_positions: The first step of every window, in the first epoch's order.
        batch_size: Windows per batch; ``None`` yields single windows.
    """

    def __init__(
        self,
        data: torch.Tensor,
        targets: torch.Tensor | None,
        start_positions: np.ndarray,
        *,
        sequence_length: int,
        sampling_rate: int,
        batch_size: int | None,
        shuffle: bool,
        seed: int | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.data = data
        self.targets = targets
        self.start_positions = torch.as_tensor(start_positions, dtype=torch.int64)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._offsets = torch.arange(sequence_length, dtype=torch.int64) * sampling_rate
        self._order = self.start_positions
        self._generator = torch.Generator()
        if seed is None:
            self._generator.seed()
        else:
            self._generator.manual_seed(seed)

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.start_positions)
        return math.ceil(len(self.start_positions) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch index out of range: {index} for {len(self)} batches")
        index %= len(self)
        size = 1 if self.batch_size is None else self.batch_size
        starts = self._order[index * size : (index + 1) * size]
        if self.batch_size is None:
            starts = starts[0]
        windows = self.data[starts[..., None] + self._offsets]
        return windows if self.targets is None else (windows, self.targets[starts])

    def on_epoch_end(self) -> None:
        """Draw a new window order for the next epoch when ``shuffle`` is on."""
        if self.shuffle:
            permutation = torch.randperm(len(self.start_positions), generator=self._generator)
            self._order = self.start_positions[permutation]


def timeseries_dataset_from_array(
    data: Any,
    targets: Any,
    sequence_length: int,
    sequence_stride: int = 1,
    sampling_rate: int = 1,
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    start_index: int | None = None,
    end_index: int | None = None,
    **kwargs: Any,
) -> TimeseriesDataset:
    """Sliding windows over ``data``, batched; mirrors ``keras.utils.timeseries_dataset_from_array``.

    Windows start every ``sequence_stride`` steps from ``start_index``; each holds
    ``sequence_length`` steps taken every ``sampling_rate`` steps and must end before
    ``end_index``. The window starting at step ``start_index + p`` has target
    ``targets[start_index + p]``. With ``shuffle`` the start positions are shuffled by
    ``numpy.random.RandomState(seed)``, as Keras does before its own buffered shuffle.

    Args:
        data: An array-like (numpy, tensor, list) with time on the first axis.
        targets: Targets aligned with ``data`` (one per step), or ``None``.
        sequence_length: Steps per window.
        sequence_stride: Steps between the starts of two windows. Defaults to ``1``.
        sampling_rate: Steps between two samples of a window. Defaults to ``1``.
        batch_size: Windows per batch. Defaults to ``128``; ``None`` yields single windows.
        shuffle: Whether to shuffle the windows (and reshuffle every epoch). Defaults to
            ``False``.
        seed: Seed of the shuffles. Defaults to ``None``.
        start_index: First step used. Defaults to ``None`` (``0``).
        end_index: Steps from here on are not used. Defaults to ``None`` (``len(data)``).
        **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size`` for the ``PyDataset``.

    Returns:
        A :class:`TimeseriesDataset`; a batch is ``windows`` or ``(windows, targets)``, with
        ``windows`` of shape ``(batch, sequence_length, *data.shape[1:])``.
    """
    length = len(data)
    what = "timeseries_dataset_from_array"
    if start_index and not 0 <= start_index < length:
        raise ValueError(
            f"{what} expected 0 <= start_index < {length} (the length of data), "
            f"received: start_index={start_index}"
        )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                f"{what} expected end_index > start_index, received: start_index={start_index}, "
                f"end_index={end_index}"
            )
        if not 0 < end_index < length:
            raise ValueError(
                f"{what} expected 0 < end_index < {length} (the length of data), "
                f"received: end_index={end_index}"
            )
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if not 0 < value < length:
            raise ValueError(
                f"{what} expected 0 < {name} < {length} (the length of data), "
                f"received: {name}={value}"
            )
    if sequence_length < 1:
        raise ValueError(f"{what} expected sequence_length >= 1, received: {sequence_length}")
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"{what} expected batch_size >= 1 or None, received: {batch_size}")
    start_index = start_index or 0
    end_index = end_index or length
    num_windows = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_windows = min(num_windows, len(targets))
    start_positions = np.arange(0, max(num_windows, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = int(np.random.randint(1e6))
        np.random.RandomState(seed).shuffle(start_positions)
    return TimeseriesDataset(
        _as_tensor(data)[start_index:end_index],
        None if targets is None else _as_tensor(targets)[start_index:],
        start_positions,
        sequence_length=sequence_length,
        sampling_rate=sampling_rate,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        **kwargs,
    )


def _as_tensor(values: Any) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        return values
    array = np.asarray(values)
    if not array.flags.writeable:  # pandas' arrays (copy-on-write); torch warns on those
        array = array.copy()
    return torch.as_tensor(array)
