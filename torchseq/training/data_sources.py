"""The adapter base and the adapters for data that arrives batch by batch.

``DataAdapter`` owns the epoch logic that every source shares: an epoch is ``steps_per_epoch``
batches, or one full pass when that is ``None``; with ``steps_per_epoch`` set, a pass runs on
across epochs and the next pass starts once it is used up (Keras 3's ``EpochIterator`` does
the same). Subclasses only say how to start a pass and how long one is.

The sources here are Python generators and iterators, ``utils.PyDataset`` /
``utils.Sequence`` and ``torch.utils.data.DataLoader``; ``torchseq.training.data`` builds
the adapter for in-memory arrays and picks the right one with ``make_adapter``.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from torchseq import config
from torchseq.layers.symbolic import is_string_array
from torchseq.utils import tree
from torchseq.utils.conversion import as_numpy, convert_inputs, to_tensor
from torchseq.utils.sequence import PyDataset

__all__ = [
    "Batch",
    "BatchConverter",
    "DataAdapter",
    "DataLoaderAdapter",
    "GeneratorAdapter",
    "PyDatasetAdapter",
    "as_numpy",
    "check_keys",
    "class_weights_for",
    "combine_weights",
    "to_tensor",
    "unpack_batch",
    "validate_class_weight",
]

Batch = tuple[Any, Any, Any]
"""``(x, y, sample_weight)``: x and y keep the user's structure; y and sample_weight may be None."""

_END = object()


class DataAdapter:
    """Batches for ``fit`` / ``evaluate`` / ``predict``, as device tensors.

    Attributes:
        num_batches: Batches per epoch (``steps_per_epoch`` when given), or ``None``
            when only the end of the data will tell.
        num_samples: Samples per pass, or ``None`` when unknown.
        batch_size: The batch size, or ``None`` when the source makes its own batches.
    """

    num_samples: int | None = None
    batch_size: int | None = None
    exhaustible = False  # whether the data can run out for good (a generator)

    def __init__(self, *, steps_per_epoch: int | None) -> None:
        self._steps_per_epoch = steps_per_epoch
        self._iterator: Iterator[Batch] | None = None
        self._left_in_pass: int | None = None
        self._fresh = False

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch, or ``None`` when unknown until the data runs out."""
        if self._steps_per_epoch is not None:
            return self._steps_per_epoch
        return self._pass_length()

    def batches(self, epoch: int) -> Iterator[Batch]:
        """Yield the batches of one epoch as ``(x, y, sample_weight)``.

        Args:
            epoch: The epoch index, counting from 0 (passed to a ``DistributedSampler``'s
                ``set_epoch`` when a new pass starts).

        Yields:
            ``(x, y, sample_weight)`` with tensors already on the adapter's device.

        An epoch that yields nothing means the data ran out (a finite generator used up).
        If the caller stops early, the rest of the epoch is skipped and the data source's
        ``on_epoch_end`` is not called.
        """
        self._begin_epoch()
        if self._needs_new_pass():
            self._start(epoch)
        self._fresh = False
        produced = 0
        while self._steps_per_epoch is None or produced < self._steps_per_epoch:
            batch = _END if self._left_in_pass == 0 else next(self._iterator, _END)
            if batch is _END:
                self._iterator = None
                break
            produced += 1
            if self._left_in_pass is not None:
                self._left_in_pass -= 1
            yield batch
        if self._left_in_pass == 0:
            self._iterator = None
        self._end_epoch()

    def rewind(self) -> None:
        """Make the next epoch start at the beginning of the data.

        Drops a pass that ``steps_per_epoch`` cut short (validation with
        ``validation_steps`` evaluates the same first batches every time, as in Keras); a
        pass only peeked at is kept, and a generator, which cannot start over, goes on.
        """
        if not self._fresh:
            self._iterator = None

    def peek(self) -> Batch:
        """The first batch of the next epoch, without using it up (to build a model or
        choose a metric by shapes before training).

        Raises:
            ValueError: If the data is empty.
        """
        if self._needs_new_pass():
            self._start(0)
        batch = next(self._iterator, _END)
        if batch is _END:
            raise ValueError("The data yielded no batch: x is empty or already used up")
        self._iterator = itertools.chain([batch], self._iterator)
        self._fresh = True
        return batch

    def _needs_new_pass(self) -> bool:
        """A new pass starts each epoch, or (with ``steps_per_epoch``) once one is used up;
        a pass that was only peeked at is kept."""
        if self._iterator is None:
            return True
        return self._steps_per_epoch is None and not self._fresh

    def _start(self, epoch: int) -> None:
        self._iterator = iter(self._start_pass(epoch))
        self._left_in_pass = self._pass_length()

    def _start_pass(self, epoch: int) -> Iterable[Batch]:
        raise NotImplementedError

    def _pass_length(self) -> int | None:
        return None

    def _begin_epoch(self) -> None:
        """Hook called before an epoch's first batch."""

    def _end_epoch(self) -> None:
        """Hook called after an epoch's last batch."""


class BatchConverter:
    """Turns one batch from an iterable source into ``(x, y, sample_weight)`` device tensors."""

    def __init__(
        self,
        *,
        device: torch.device | None,
        class_weight: Mapping[Any, float] | None = None,
        input_names: list[str] | None = None,
        output_names: list[str] | None = None,
        input_dtypes: list[torch.dtype | None] | None = None,
        float_dtype: torch.dtype | None = None,
    ) -> None:
        self._device = device
        self._non_blocking = device is not None and device.type != "cpu"
        self._class_weight = class_weight
        self._input_names = input_names
        self._output_names = output_names
        self._input_dtypes = input_dtypes
        self._float_dtype = float_dtype

    def __call__(self, batch: Any) -> Batch:
        x, y, sample_weight = unpack_batch(batch)
        check_keys(x, self._input_names, "x", "input")
        check_keys(y, self._output_names, "y", "output")
        check_keys(sample_weight, self._output_names, "sample_weight", "output")
        x = convert_inputs(x, self._input_dtypes, self._input_names, self._to_device)
        y, sample_weight = tree.map_structure(
            lambda value: self._to_device(value, None), (y, sample_weight)
        )
        if self._class_weight is not None:
            sample_weight = combine_weights(sample_weight, class_weights_for(y, self._class_weight))
        return x, y, sample_weight

    def _to_device(self, value: Any, dtype: torch.dtype | None) -> Any:
        if value is None or is_string_array(value):  # strings stay numpy, on the host
            return value
        if isinstance(value, (numbers.Number, np.generic)):  # a scalar in a batch: a 0-d array
            value = np.asarray(value)
        tensor = to_tensor(value, dtype, float_dtype=self._float_dtype, what="a batch")
        if self._device is None:
            return tensor
        return tensor.to(self._device, non_blocking=self._non_blocking)


class GeneratorAdapter(DataAdapter):
    """A Python generator or iterator yielding ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

    A generator cannot be restarted: all epochs share it, and once it ends every later
    epoch is empty.
    """

    exhaustible = True

    def __init__(
        self, generator: Iterator[Any], *, steps_per_epoch: int | None, convert: BatchConverter
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self._batches = map(convert, generator)

    def _start_pass(self, epoch: int) -> Iterable[Batch]:
        return self._batches


class PyDatasetAdapter(DataAdapter):
    """A ``utils.PyDataset`` / ``utils.Sequence``: batch ``i`` is ``dataset[i]``.

    With ``shuffle`` (``True`` or ``"batch"``), each pass visits the batches in a new random
    order, as Keras 3 does. The dataset's ``on_epoch_begin`` / ``on_epoch_end`` run around
    every epoch.
    """

    def __init__(
        self,
        dataset: PyDataset,
        *,
        steps_per_epoch: int | None,
        shuffle: bool | str,
        convert: BatchConverter,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self._dataset = dataset
        self._shuffle = bool(shuffle)
        self._convert = convert

    def _pass_length(self) -> int | None:
        return self._dataset.num_batches

    def _start_pass(self, epoch: int) -> Iterable[Batch]:
        count = self._dataset.num_batches
        if count is None:
            indices: Iterable[int] = itertools.count()
        elif self._shuffle:
            indices = torch.randperm(count).tolist()
        else:
            indices = range(count)
        return (self._convert(self._dataset[index]) for index in indices)

    def _begin_epoch(self) -> None:
        self._dataset.on_epoch_begin()

    def _end_epoch(self) -> None:
        self._dataset.on_epoch_end()


class DataLoaderAdapter(DataAdapter):
    """A ``torch.utils.data.DataLoader``, used as it is (its own batch size and shuffling).

    ``from_dataset`` says that ``make_adapter`` made the loader from a ``Dataset`` (at the
    batch size it was asked for) rather than receiving it.
    """

    def __init__(
        self,
        loader: DataLoader,
        *,
        steps_per_epoch: int | None,
        convert: BatchConverter,
        from_dataset: bool = False,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self._loader = loader
        self._convert = convert
        self.from_dataset = from_dataset
        self.batch_size = loader.batch_size
        self.num_samples = _length_of(loader.dataset)

    @property
    def loader(self) -> DataLoader:
        return self._loader

    def with_loader(self, loader: DataLoader) -> DataLoaderAdapter:
        """The same adapter (steps, conversion) over another loader of the same data."""
        return DataLoaderAdapter(
            loader,
            steps_per_epoch=self._steps_per_epoch,
            convert=self._convert,
            from_dataset=self.from_dataset,
        )

    def _pass_length(self) -> int | None:
        if isinstance(self._loader.dataset, IterableDataset):
            return None
        return _length_of(self._loader)

    def _start_pass(self, epoch: int) -> Iterable[Batch]:
        samplers = [self._loader.sampler]
        inner = getattr(self._loader.batch_sampler, "sampler", None)
        if inner is not None and inner is not samplers[0]:
            samplers.append(inner)
        for sampler in samplers:
            if hasattr(sampler, "set_epoch"):  # a DistributedSampler reshuffles by epoch
                sampler.set_epoch(epoch)
        return map(self._convert, self._loader)


def unpack_batch(batch: Any) -> Batch:
    """Split a batch into ``(x, y, sample_weight)``, as Keras's ``unpack_x_y_sample_weight``.

    A tuple or list of one to three items is ``(x[, y[, sample_weight]])``; anything else
    (a tensor, an array, a dict of named inputs) is ``x`` alone.

    Raises:
        ValueError: For a tuple or list of another length.
    """
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if not 1 <= len(batch) <= 3:
        raise ValueError(
            "A batch must be x, (x,), (x, y) or (x, y, sample_weight), received a "
            f"{type(batch).__name__} of {len(batch)} items"
        )
    return (*batch, *(None,) * (3 - len(batch)))


def check_keys(structure: Any, names: list[str] | None, what: str, kind: str) -> None:
    """Refuse dict keys that name no model input (``kind="input"``) or output.

    Raises:
        ValueError: Naming the unknown keys and the expected ones.
    """
    if names is None or not isinstance(structure, Mapping):
        return
    unknown = [key for key in structure if key not in names]
    if unknown:
        raise ValueError(
            f"{what} has keys {unknown} that name no model {kind}; expected keys among "
            f"{list(names)}"
        )


def class_weights_for(y: Any, class_weight: Mapping[Any, float]) -> torch.Tensor:
    """Per-sample weights looked up from the class of each label (1.0 for unlisted classes).

    Labels are class indices, or one-hot / probability rows (the class is the argmax of the
    last axis, unless that axis has size 1). The lookup is vectorised and stays on y's device.

    Raises:
        ValueError: If y is missing or holds more than one output.
    """
    leaves = [leaf for leaf in tree.flatten(y) if leaf is not None]
    if len(leaves) != 1:
        raise ValueError(
            "class_weight needs a single target array y (one model output), received "
            f"{len(leaves)} target arrays"
        )
    labels = leaves[0]
    if labels.ndim > 1:
        labels = labels.squeeze(-1) if labels.shape[-1] == 1 else labels.argmax(-1)
    if labels.is_floating_point():
        labels = labels.round()
    labels = labels.long()
    classes = sorted(class_weight)
    if not classes:
        return torch.ones(labels.shape, dtype=config.standardize_dtype(None), device=labels.device)
    keys = torch.tensor(classes, dtype=torch.long, device=labels.device)
    values = torch.tensor(
        [float(class_weight[key]) for key in classes],
        dtype=config.standardize_dtype(None),
        device=labels.device,
    )
    position = torch.searchsorted(keys, labels).clamp_(max=len(classes) - 1)
    return torch.where(keys[position] == labels, values[position], values.new_ones(()))


def validate_class_weight(class_weight: Any) -> dict[int, float] | None:
    """Check ``class_weight`` is a dict of integer class -> number; ``None`` passes.

    Raises:
        TypeError: For another type, a non-integer key or a non-numeric weight.
    """
    if class_weight is None:
        return None
    if not isinstance(class_weight, Mapping):
        raise TypeError(
            "class_weight must be a dict mapping class indices to weights, received: "
            f"class_weight={class_weight!r} of type {type(class_weight).__name__}"
        )
    checked = {}
    for key, weight in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(
                f"class_weight keys must be integer class indices, received key {key!r} "
                f"of type {type(key).__name__}"
            )
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
            raise TypeError(
                f"class_weight values must be numbers, received {weight!r} for class {key}"
            )
        checked[int(key)] = float(weight)
    return checked


def combine_weights(sample_weight: Any, class_weights: torch.Tensor) -> torch.Tensor:
    """Multiply per-sample class weights into ``sample_weight`` (1-D, or 2-D per timestep).

    Raises:
        ValueError: If ``sample_weight`` is a structure (one array per output).
    """
    if sample_weight is None:
        return class_weights
    if not isinstance(sample_weight, torch.Tensor):
        raise ValueError(  # noqa: TRY004 - one array per output is a valid value, not this one
            "class_weight can only be combined with a single sample_weight array, received "
            f"sample_weight of type {type(sample_weight).__name__}"
        )
    extra = sample_weight.ndim - class_weights.ndim
    return sample_weight * class_weights.reshape(class_weights.shape + (1,) * max(extra, 0))


def _length_of(obj: Any) -> int | None:
    try:
        return len(obj)
    except TypeError:
        return None
