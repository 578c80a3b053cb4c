"""Data adapters: what ``fit`` / ``evaluate`` / ``predict`` receive, as batches of device tensors.

``make_adapter`` accepts everything Keras's ``fit`` does (numpy arrays, torch tensors, pandas
objects, lists and dicts of them, Python generators, ``utils.PyDataset`` / ``utils.Sequence``,
``torch.utils.data.Dataset`` and ``DataLoader``) and returns a ``DataAdapter`` whose
``batches(epoch)`` yields ``(x, y, sample_weight)``.

In-memory arrays are prepared once per adapter, so once per ``fit``: numpy is wrapped without a
copy, each input is cast to the dtype its ``Input`` declares and other float data to the
model's float dtype (the rule of :mod:`torchseq.utils.conversion`), ``class_weight`` becomes per-sample weights, and
the data moves to the device (on CUDA: all of it when it fits in half the free memory,
otherwise it stays in pinned host memory and each batch is copied with ``non_blocking``).
Then each epoch costs one ``torch.randperm`` and each step one slice or one ``index_select``
per array. Numpy string arrays (the data of an ``Input(dtype="string")``) stay numpy on the
host, batched by numpy indexing: torch has no string tensors, so the model's first string
layer turns each batch into tensors.

Example:
    >>> import numpy as np
    >>> adapter = make_adapter(np.zeros((100, 3)), np.arange(100), batch_size=32, shuffle=False)
    >>> adapter.num_batches, [tuple(x.shape) for x, y, _ in adapter.batches(0)][-1]
    (4, (4, 3))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, Sampler

from torchseq.layers.symbolic import is_string_array
from torchseq.training.data_sources import (
    Batch,
    BatchConverter,
    DataAdapter,
    DataLoaderAdapter,
    GeneratorAdapter,
    PyDatasetAdapter,
    as_numpy,
    check_keys,
    class_weights_for,
    combine_weights,
    to_tensor,
    validate_class_weight,
)
from torchseq.utils import tree
from torchseq.utils.conversion import convert_inputs
from torchseq.utils.sequence import PyDataset

__all__ = [
    "ArrayAdapter",
    "Batch",
    "DataAdapter",
    "honours_shuffle",
    "is_array_data",
    "make_adapter",
    "split_validation",
]

_DEFAULT_BATCH_SIZE = 32
_DEVICE_MEMORY_FRACTION = 0.5  # leave the other half of free device memory to the model
_SHUFFLE_CHOICES = [True, False, "batch"]


def make_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    batch_size: int | None = None,
    steps_per_epoch: int | None = None,
    shuffle: bool | str = True,
    class_weight: dict[int, float] | None = None,
    device: torch.device | str | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    input_dtypes: Sequence[torch.dtype | None] | None = None,
    float_dtype: torch.dtype | None = None,
) -> DataAdapter:
    """Build the adapter that turns ``fit`` / ``evaluate`` / ``predict`` data into batches.

    Args:
        x: Arrays (numpy, torch, pandas; a list or a dict by input name of them), a Python
            generator or iterator yielding ``(x, y[, sample_weight])``, a ``utils.PyDataset``
            / ``utils.Sequence``, a ``torch.utils.data.Dataset`` or a ``DataLoader``.
        y: Targets for array ``x`` (an array, a list, or a dict by output name). Defaults
            to ``None``.
        sample_weight: Per-sample (or per-timestep) weights for array ``x``. Defaults to
            ``None``.
        batch_size: Samples per batch for arrays and a ``Dataset``; ignored by sources that
            batch themselves. Defaults to ``None``: 32, or for arrays with
            ``steps_per_epoch`` the size that covers the data in that many steps.
        steps_per_epoch: Batches per epoch. A pass over the data then runs on across epochs.
            Defaults to ``None``: one full pass (for a generator: until it ends).
        shuffle: ``True`` for a new random order every pass, ``"batch"`` to keep batches
            contiguous but visit them in random order, ``False`` for the stored order.
            Ignored by generators and ``DataLoader`` objects. Defaults to ``True``.
        class_weight: ``{class index: weight}``, turned into per-sample weights from ``y``
            (class indices, or one-hot rows) and multiplied into ``sample_weight``. For
            arrays and ``PyDataset`` only. Defaults to ``None``.
        device: Where batches are delivered. Defaults to ``None``: where the data is.
        input_names: The model's input names; keys of a dict ``x`` must be among them.
        output_names: The model's output names; keys of a dict ``y`` or ``sample_weight``
            must be among them.
        input_dtypes: The dtype each input receives, in input order (``None`` entries:
            only float data is cast), from ``conversion.data_dtypes``. Defaults to ``None``.
        float_dtype: The dtype of float data that no ``Input`` declares (targets, sample
            weights included). Defaults to ``None``: ``config.floatx()``.

    Returns:
        A ``DataAdapter`` with ``num_batches``, ``num_samples``, ``batch_size``,
        ``batches(epoch)`` and ``peek()``.

    Raises:
        TypeError: For an unsupported type of data or argument.
        ValueError: For x, y and sample_weight of different lengths, a non-positive
            ``batch_size`` or ``steps_per_epoch``, an unknown ``shuffle``, a dict key that
            names no input or output, or ``y`` / ``sample_weight`` / ``class_weight`` given
            with a source that cannot take them.
    """
    batch_size = _positive_or_none("batch_size", batch_size)
    steps_per_epoch = _positive_or_none("steps_per_epoch", steps_per_epoch)
    shuffle = _check_shuffle(shuffle)
    class_weight = validate_class_weight(class_weight)
    device = None if device is None else torch.device(device)
    names = {
        "input_names": None if input_names is None else list(input_names),
        "output_names": None if output_names is None else list(output_names),
        "input_dtypes": None if input_dtypes is None else list(input_dtypes),
        "float_dtype": float_dtype,
    }
    source = _source_name(x)
    if source is None:
        return ArrayAdapter(
            x,
            y,
            sample_weight,
            batch_size=batch_size,
            steps_per_epoch=steps_per_epoch,
            shuffle=shuffle,
            class_weight=class_weight,
            device=device,
            **names,
        )
    _refuse_targets_with(source, x, y=y, sample_weight=sample_weight)
    if class_weight is not None and source != "PyDataset":
        raise ValueError(
            "class_weight is only supported with arrays (numpy, torch, pandas) and "
            f"PyDataset / Sequence inputs, received x: {_describe(x, source)}; "
            "yield (x, y, sample_weight) batches carrying the weights instead"
        )
    convert = BatchConverter(device=device, class_weight=class_weight, **names)
    if source == "PyDataset":
        return PyDatasetAdapter(
            x, steps_per_epoch=steps_per_epoch, shuffle=shuffle, convert=convert
        )
    if source == "Dataset":
        x = _loader_for(x, batch_size=batch_size, shuffle=shuffle, device=device)
    if source in ("Dataset", "DataLoader"):
        return DataLoaderAdapter(
            x, steps_per_epoch=steps_per_epoch, convert=convert, from_dataset=source == "Dataset"
        )
    return GeneratorAdapter(x, steps_per_epoch=steps_per_epoch, convert=convert)


def split_validation(
    x: Any, y: Any = None, sample_weight: Any = None, validation_split: float = 0.0
) -> tuple[Batch, Batch | None]:
    """Hold out the last ``validation_split`` fraction of the samples, before any shuffling.

    Numpy arrays and tensors are split into views (no copy); pandas objects become numpy.

    Args:
        x: Array inputs (numpy, torch, pandas; lists or dicts of them).
        y: Targets, or ``None``.
        sample_weight: Sample weights, or ``None``.
        validation_split: Fraction in ``[0, 1)``; ``0`` holds nothing out.

    Returns:
        ``((x, y, sample_weight), (x_val, y_val, sample_weight_val))``; the second item is
        ``None`` when ``validation_split`` is 0.

    Raises:
        TypeError: If ``validation_split`` is not a number.
        ValueError: If it is outside ``[0, 1)``, if x is a generator, dataset or loader, or
            if the split would leave either part empty.
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError(
            "validation_split must be a float in [0, 1), received: "
            f"validation_split={validation_split!r} of type {type(validation_split).__name__}"
        )
    if not 0 <= validation_split < 1:
        raise ValueError(
            "validation_split must be in [0, 1) (the fraction of the data held out), "
            f"received: validation_split={validation_split}"
        )
    source = _source_name(x)
    if source is not None:
        raise ValueError(
            "validation_split is only supported for arrays (numpy, torch, pandas), received "
            f"x: {_describe(x, source)}; pass validation_data instead"
        )
    if validation_split == 0:
        return (x, y, sample_weight), None
    parts = {
        what: tree.map_structure(lambda value, what=what: _sliceable(value, what), value)
        for what, value in (("x", x), ("y", y), ("sample_weight", sample_weight))
    }
    count = _count_samples(parts)
    split_at = math.floor(count * (1 - validation_split))
    if split_at in (0, count):
        raise ValueError(
            f"validation_split={validation_split} of {count} samples leaves "
            f"{split_at} for training and {count - split_at} for validation; both need at "
            "least one: provide more data or another validation_split"
        )
    data = (parts["x"], parts["y"], parts["sample_weight"])
    return _map_arrays(lambda a: a[:split_at], data), _map_arrays(lambda a: a[split_at:], data)


def is_array_data(x: Any) -> bool:
    """Whether ``x`` is in-memory arrays (batched by ``make_adapter``), not a batch source."""
    return _source_name(x) is None


def honours_shuffle(x: Any) -> bool:
    """Whether ``make_adapter`` would reorder ``x`` for ``shuffle=True``.

    Arrays, ``PyDataset`` and map-style ``Dataset`` objects are reordered; generators,
    ``DataLoader`` objects and iterable datasets deliver batches in their own order.
    """
    source = _source_name(x)
    if source == "Dataset":
        return not isinstance(x, IterableDataset)
    return source in (None, "PyDataset")


class ArrayAdapter(DataAdapter):
    """In-memory arrays, prepared once and batched by slicing or by an index gather.

    Use ``make_adapter``, which validates the arguments and picks this adapter for arrays.
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        sample_weight: Any,
        *,
        batch_size: int | None,
        steps_per_epoch: int | None,
        shuffle: bool | str,
        class_weight: dict[int, float] | None,
        device: torch.device | None,
        input_names: list[str] | None,
        output_names: list[str] | None,
        input_dtypes: list[torch.dtype | None] | None = None,
        float_dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        if x is None:
            raise TypeError("x must be arrays, tensors or a data source, received: x=None")
        check_keys(x, input_names, "x", "input")
        check_keys(y, output_names, "y", "output")
        check_keys(sample_weight, output_names, "sample_weight", "output")
        parts = {
            "x": convert_inputs(
                x,
                input_dtypes,
                input_names,
                lambda value, dtype: _tensor_or_none(value, dtype, float_dtype, "x"),
            ),
            **{
                what: tree.map_structure(
                    lambda value, what=what: _tensor_or_none(value, None, float_dtype, what),
                    value,
                )
                for what, value in (("y", y), ("sample_weight", sample_weight))
            },
        }
        self.num_samples = _count_samples(parts)
        if self.num_samples == 0:
            raise ValueError("x has 0 samples: there is nothing to iterate over")
        weights = parts["sample_weight"]
        if class_weight is not None:
            weights = combine_weights(weights, class_weights_for(parts["y"], class_weight))
        if batch_size is None:
            batch_size = (
                math.ceil(self.num_samples / steps_per_epoch)
                if steps_per_epoch
                else _DEFAULT_BATCH_SIZE
            )
        self.batch_size = batch_size
        self._shuffle = shuffle
        self._data, self._device, self._streamed = _place((parts["x"], parts["y"], weights), device)
        self._index_device = torch.device("cpu") if self._streamed else self._device
        self._pinned = self._streamed and self._device.type == "cuda"

    def all_targets(self) -> tuple[Any, Any]:
        """Every sample's ``(y, sample_weight)``, where the batches are gathered from."""
        return self._data[1], self._data[2]

    def _pass_length(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def _start_pass(self, epoch: int) -> Iterator[Batch]:
        starts = range(0, self.num_samples, self.batch_size)
        if self._shuffle == "batch":
            return (self._slice(starts[i]) for i in torch.randperm(len(starts)).tolist())
        if self._shuffle:
            order = torch.randperm(self.num_samples).to(self._index_device)
            return (self._gather(order[start : start + self.batch_size]) for start in starts)
        return (self._slice(start) for start in starts)

    def _slice(self, start: int) -> Batch:
        stop = start + self.batch_size
        return _map_arrays(
            lambda t: t[start:stop] if _is_host(t) else self._deliver(t[start:stop]), self._data
        )

    def _gather(self, indices: torch.Tensor) -> Batch:
        host_indices: list[np.ndarray] = []

        def take(array: Any) -> Any:
            if not _is_host(array):
                return self._take(array, indices)
            if not host_indices:
                host_indices.append(indices.cpu().numpy())
            return array[host_indices[0]]

        return _map_arrays(take, self._data)

    def _take(self, tensor: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        if not self._streamed:
            return tensor.index_select(0, indices)
        shape = (indices.numel(), *tensor.shape[1:])
        batch = torch.empty(shape, dtype=tensor.dtype, pin_memory=self._pinned)
        return torch.index_select(tensor, 0, indices, out=batch).to(self._device, non_blocking=True)

    def _deliver(self, tensor: torch.Tensor) -> torch.Tensor:
        if not self._streamed:
            return tensor
        return tensor.to(self._device, non_blocking=True)


class _ShuffledBatches(Sampler[list[int]]):
    """Contiguous batches of indices, visited in a new random order on every pass."""

    def __init__(self, num_samples: int, batch_size: int) -> None:
        self._num_samples = num_samples
        self._batch_size = batch_size

    def __len__(self) -> int:
        return math.ceil(self._num_samples / self._batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        for batch in torch.randperm(len(self)).tolist():
            start = batch * self._batch_size
            yield list(range(start, min(start + self._batch_size, self._num_samples)))


def _loader_for(
    dataset: Dataset, *, batch_size: int | None, shuffle: bool | str, device: torch.device | None
) -> DataLoader:
    size = batch_size or _DEFAULT_BATCH_SIZE
    pin = device is not None and device.type == "cuda"
    if isinstance(dataset, IterableDataset):  # an iterable dataset orders itself
        return DataLoader(dataset, batch_size=size, pin_memory=pin)
    if shuffle == "batch":
        sampler = _ShuffledBatches(len(dataset), size)
        return DataLoader(dataset, batch_sampler=sampler, pin_memory=pin)
    return DataLoader(dataset, batch_size=size, shuffle=bool(shuffle), pin_memory=pin)


def _place(data: Batch, device: torch.device | None) -> tuple[Batch, torch.device, bool]:
    """Move the arrays to ``device`` once; returns ``(data, device, streamed)``.

    ``streamed`` means the data stays in (pinned) host memory and batches are copied over.
    """
    leaves = [leaf for leaf in tree.flatten(data) if leaf is not None and not _is_host(leaf)]
    if device is None:
        device = leaves[0].device if leaves else torch.device("cpu")
    elif device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    pending = sum(leaf.numel() * leaf.element_size() for leaf in leaves if leaf.device != device)
    if device.type == "cpu" or _fits_on_device(pending, device):
        return _map_tensors(lambda t: t.to(device), data), device, False
    pin = device.type == "cuda"
    return _map_tensors(lambda t: _to_host(t, pin=pin), data), device, True


def _map_arrays(fn: Callable[[Any], Any], structure: Any) -> Any:
    """``fn`` on every array of a nested structure, passing ``None`` through."""
    return tree.map_structure(lambda leaf: None if leaf is None else fn(leaf), structure)


def _map_tensors(fn: Callable[[torch.Tensor], Any], structure: Any) -> Any:
    """``fn`` on every tensor of a nested structure; host string arrays and ``None`` pass."""
    return _map_arrays(lambda leaf: leaf if _is_host(leaf) else fn(leaf), structure)


def _is_host(array: Any) -> bool:
    """Whether ``array`` is host data that stays numpy: strings (see ``is_string_array``)."""
    return isinstance(array, np.ndarray)


def _fits_on_device(num_bytes: int, device: torch.device) -> bool:
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return num_bytes <= free * _DEVICE_MEMORY_FRACTION
    return True


def _to_host(tensor: torch.Tensor, *, pin: bool) -> torch.Tensor:
    tensor = tensor.cpu()
    return tensor.pin_memory() if pin else tensor


def _count_samples(parts: dict[str, Any]) -> int:
    """The common first dimension of every array in ``parts`` ({"x": ..., "y": ...}).

    Raises:
        ValueError: Naming each part's lengths when they differ, or for a scalar.
    """
    sizes: dict[str, list[int]] = {}
    for what, structure in parts.items():
        for leaf in tree.flatten(structure):
            if leaf is None:
                continue
            if leaf.ndim == 0:
                raise ValueError(
                    f"{what} must have a first (batch) dimension, received a scalar {leaf!r}"
                )
            sizes.setdefault(what, []).append(int(leaf.shape[0]))
    distinct = {size for group in sizes.values() for size in group}
    if not distinct:
        raise ValueError("x must hold at least one array, received an empty structure")
    if len(distinct) > 1:
        described = ", ".join(
            f"{what} has {group[0] if len(set(group)) == 1 else group} samples"
            for what, group in sizes.items()
        )
        raise ValueError(
            "x, y and sample_weight must have the same number of samples (first dimension), "
            f"received: {described}"
        )
    return distinct.pop()


def _tensor_or_none(
    value: Any, dtype: torch.dtype | None, float_dtype: torch.dtype | None, what: str
) -> torch.Tensor | None:
    if value is None:
        return None
    if is_string_array(value):
        return value
    return to_tensor(value, dtype, float_dtype=float_dtype, what=what)


def _sliceable(value: Any, what: str) -> Any:
    if value is None or isinstance(value, torch.Tensor):
        return value
    return as_numpy(value, what=what)


def _source_name(x: Any) -> str | None:
    """What kind of batch source ``x`` is, or ``None`` for in-memory arrays."""
    if isinstance(x, PyDataset):
        return "PyDataset"
    if isinstance(x, DataLoader):
        return "DataLoader"
    if isinstance(x, Dataset):
        return "Dataset"
    if isinstance(x, Iterator):
        return "generator"
    return None


def _refuse_targets_with(source: str, x: Any, *, y: Any, sample_weight: Any) -> None:
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            raise ValueError(
                f"{name} must not be given when x is {_describe(x, source)}: the "
                f"batches it yields carry {name}, as (x, y, sample_weight); received "
                f"{name} of type {type(value).__name__}"
            )


def _describe(x: Any, source: str) -> str:
    """``"a generator"``, ``"a DataLoader"``, ``"a Dataset (TensorDataset)"``."""
    name = type(x).__name__
    return f"a {source}" if name == source else f"a {source} ({name})"


def _positive_or_none(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive int or None, received: {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value <= 0:
        raise ValueError(f"{name} must be a positive int or None, received: {name}={value}")
    return int(value)


def _check_shuffle(shuffle: Any) -> bool | str:
    if isinstance(shuffle, str):
        if shuffle == "batch":
            return shuffle
        raise ValueError(
            f"shuffle must be one of {_SHUFFLE_CHOICES}, received: shuffle={shuffle!r}"
        )
    if shuffle is None or isinstance(shuffle, (bool, np.bool_)):
        return bool(shuffle)
    raise TypeError(
        f"shuffle must be one of {_SHUFFLE_CHOICES}, received: shuffle={shuffle!r} "
        f"of type {type(shuffle).__name__}"
    )
