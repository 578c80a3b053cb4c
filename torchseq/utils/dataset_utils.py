"""``utils.split_dataset`` and the shared machinery of the ``*_dataset_from_directory`` helpers.

``split_dataset`` cuts a dataset in two, as Keras 3 does on its torch backend: the result is a
pair of ``torch.utils.data.Subset`` objects, and with ``shuffle`` a seed draws the same
permutation as Keras's ``torch.utils.data.random_split``, so the same samples land on each side. The rest of this module lists a directory of files the
way Keras does (the same sort order, the same ``numpy.random.RandomState(seed)`` shuffle, the
same training / validation cut), so a seed puts the same files in each subset as in Keras, and
holds :class:`FileBatches`, the ``PyDataset`` that the directory helpers return, and
:class:`FileLoader`, the ``DataLoader`` they return with ``num_workers`` (files decoded in
worker processes).

Example:
    >>> import numpy as np
    >>> left, right = split_dataset(np.arange(10.0), left_size=0.8, shuffle=True, seed=1)
    >>> len(left), len(right)
    (8, 2)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, Subset, TensorDataset

from torchseq.utils.io_utils import print_msg
from torchseq.utils.sequence import PyDataset
from torchseq.utils.taken_batches import BatchTaking

__all__ = [
    "FileBatches",
    "FileLoader",
    "check_num_workers",
    "file_dataset",
    "index_directory",
    "split_dataset",
]

_LABEL_MODES = ("int", "categorical", "binary", None)
_SUBSETS = ("training", "validation", "both", None)


def split_dataset(
    dataset: Any,
    left_size: float | None = None,
    right_size: float | None = None,
    shuffle: bool = False,
    seed: int | None = None,
) -> tuple[Subset, Subset]:
    """Split a dataset into a left and a right part; mirrors ``keras.utils.split_dataset``.

    Args:
        dataset: A ``torch.utils.data.Dataset``, a numpy array, or a list / tuple of arrays
            of the same length (one sample is one row of each).
        left_size: A float in ``(0, 1)`` (a fraction of the samples) or an int (a number of
            samples) for the left part. Defaults to ``None``: what ``right_size`` leaves.
        right_size: The same for the right part. Defaults to ``None``: what ``left_size``
            leaves. At least one of the two must be given.
        shuffle: Whether to shuffle the samples before splitting. Defaults to ``False``.
        seed: Seed of the shuffle. Defaults to ``None`` (a fresh random seed).

    Returns:
        ``(left, right)``, two ``torch.utils.data.Subset`` views of the samples.

    Raises:
        TypeError: If ``dataset`` or a size has an unsupported type.
        ValueError: If the sizes are out of range or leave one side empty.
    """
    dataset = _as_torch_dataset(dataset)
    left, right = _split_sizes(left_size, right_size, len(dataset))  # type: ignore[arg-type]
    total = len(dataset)  # type: ignore[arg-type]
    if shuffle:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(seed)
        # The permutation random_split draws, so a seed splits as in Keras.
        order = torch.randperm(total, generator=generator).tolist()
    else:
        order = list(range(total))
    left_part = Subset(dataset, order[:left])
    right_part = Subset(dataset, order[left : left + right])
    return left_part, right_part


def _as_torch_dataset(dataset: Any) -> Dataset:
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, np.ndarray):
        return TensorDataset(torch.from_numpy(dataset))
    if isinstance(dataset, torch.Tensor):
        return TensorDataset(dataset)
    if isinstance(dataset, (list, tuple)) and dataset:
        tensors = [torch.as_tensor(np.asarray(part)) for part in dataset]
        lengths = {len(tensor) for tensor in tensors}
        if len(lengths) != 1:
            raise ValueError(
                "split_dataset expected the arrays in `dataset` to have the same length, "
                f"received lengths {[len(tensor) for tensor in tensors]}"
            )
        return TensorDataset(*tensors)
    raise TypeError(
        "split_dataset expected `dataset` to be a torch Dataset, a numpy array or a list/tuple "
        f"of arrays, received: dataset of type {type(dataset).__name__}"
    )


def _split_sizes(left_size: float | None, right_size: float | None, total: int) -> tuple[int, int]:
    """Both sizes as sample counts, from fractions, counts or one ``None``."""
    if left_size is None and right_size is None:
        raise ValueError(
            "split_dataset expected at least one of `left_size` and `right_size`, "
            "received: left_size=None and right_size=None"
        )
    counts = {}
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, (int, float)):
            raise TypeError(
                f"split_dataset expected `{name}` to be an int, a float or None, "
                f"received: {name}={size!r} of type {type(size).__name__}"
            )
        if isinstance(size, float):
            if not 0 < size < 1:
                raise ValueError(
                    f"split_dataset expected a float `{name}` in (0, 1), received: {name}={size}"
                )
            counts[name] = round(size * total)
        else:
            if not 0 < size < total:
                raise ValueError(
                    f"split_dataset expected an int `{name}` in [1, {total - 1}] for a dataset "
                    f"of {total} samples, received: {name}={size}"
                )
            counts[name] = size
    left = counts.get("left_size", total - counts.get("right_size", 0))
    right = counts.get("right_size", total - left)
    if left + right > total:
        raise ValueError(
            f"split_dataset expected left_size + right_size <= {total} (the dataset's length), "
            f"received: {left} + {right} samples"
        )
    if left == 0 or right == 0:
        raise ValueError(
            f"split_dataset would leave a side empty: {left} left and {right} right samples "
            f"out of {total}; received: left_size={left_size}, right_size={right_size}"
        )
    return left, right


def check_directory_args(
    labels: Any,
    label_mode: str | None,
    class_names: Sequence[str] | None,
    validation_split: float | None,
    subset: str | None,
    shuffle: bool,
    seed: int | None,
    what: str,
) -> None:
    """Validate the arguments that every ``*_dataset_from_directory`` helper shares."""
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise ValueError(
            f"{what} expected `labels` to be 'inferred', None or a list/tuple of integer labels "
            f"(one per file, in sorted path order), received: labels={labels!r}"
        )
    if labels != "inferred" and class_names is not None:
        raise ValueError(
            f"{what} accepts `class_names` only with labels='inferred', received: "
            f"labels={labels!r} and class_names={class_names!r}"
        )
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            f"{what} expected `label_mode` to be one of {list(_LABEL_MODES)}, "
            f"received: label_mode={label_mode!r}"
        )
    if subset not in _SUBSETS:
        raise ValueError(
            f"{what} expected `subset` to be one of {list(_SUBSETS)}, received: subset={subset!r}"
        )
    if validation_split is not None and validation_split != 0 and not 0 < validation_split < 1:
        raise ValueError(
            f"{what} expected `validation_split` in (0, 1), "
            f"received: validation_split={validation_split}"
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            f"{what} expected `validation_split` and `subset` to be given together, "
            f"received: validation_split={validation_split}, subset={subset!r}"
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            f"{what} needs a `seed` with `validation_split` and shuffle=True, so that the "
            "training and validation subsets do not overlap; received: seed=None"
        )


def index_directory(
    directory: str | os.PathLike,
    labels: Any,
    formats: tuple[str, ...],
    class_names: Sequence[str] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    follow_links: bool = False,
    verbose: bool = True,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """List the files of ``directory`` with their labels, in Keras's order.

    Files are listed class by class (``class_names``, or the sorted sub-directories when
    labels are inferred), each class walked in sorted order; with ``shuffle`` the list is
    then shuffled by ``numpy.random.RandomState(seed)``, exactly as Keras does.

    Args:
        directory: The root directory.
        labels: ``"inferred"``, ``None`` or one integer label per file (sorted path order).
        formats: The lower-case file extensions to keep, such as ``(".txt",)``.
        class_names: With inferred labels, the sub-directories to use, in label order.
        shuffle: Whether to shuffle the files. Defaults to ``True``.
        seed: Seed of the shuffle; ``None`` draws one.
        follow_links: Whether to follow symbolic links to directories.
        verbose: Whether to print how many files and classes were found.

    Returns:
        ``(file_paths, labels, class_names)``; ``labels`` is an int32 array or ``None``.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(
            f"expected `directory` to be an existing directory, received: {directory!r}"
        )
    if labels == "inferred":
        subdirs = sorted(
            name
            for name in os.listdir(directory)
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        )
        if class_names is not None:
            unknown = sorted(set(class_names) - set(subdirs))
            if unknown:
                raise ValueError(
                    f"expected `class_names` to name sub-directories of {directory!r} "
                    f"(any of {subdirs}), received unknown class_names {unknown}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
    file_paths: list[str] = []
    label_list: list[int] = []
    for class_index, subdir in enumerate(subdirs):
        found = _files_under(os.path.join(directory, subdir), formats, follow_links)
        file_paths.extend(found)
        label_list.extend([class_index] * len(found))

    names: list[str] | None
    label_array: np.ndarray | None
    if labels == "inferred":
        names, label_array = subdirs, np.asarray(label_list, dtype="int32")
    elif labels is None:
        names, label_array = None, None
    else:
        if len(labels) != len(file_paths):
            raise ValueError(
                f"expected one label per file: found {len(file_paths)} files in {directory!r}, "
                f"received {len(labels)} labels"
            )
        label_array = np.array(labels)
        names = [str(label) for label in sorted(set(label_array.tolist()))]
    if verbose:
        found_classes = "" if names is None else f" belonging to {len(names)} classes"
        print_msg(f"Found {len(file_paths)} files{found_classes}.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return file_paths, label_array, names


def _files_under(root: str, formats: tuple[str, ...], follow_links: bool) -> list[str]:
    found = []
    for dirpath, _, files in sorted(os.walk(root, followlinks=follow_links), key=lambda x: x[0]):
        found.extend(
            os.path.join(dirpath, name) for name in sorted(files) if name.lower().endswith(formats)
        )
    return found


def take_subset(
    paths: list[str], labels: np.ndarray | None, validation_split: float | None, subset: str | None
) -> tuple[list[str], np.ndarray | None]:
    """The training part (all but the last ``validation_split``) or the validation part."""
    if not validation_split:
        return paths, labels
    num_validation = int(validation_split * len(paths))
    cut = len(paths) - num_validation
    part = slice(None, cut) if subset == "training" else slice(cut, None)
    print_msg(f"Using {len(paths[part])} files for {subset}.")
    return paths[part], None if labels is None else labels[part]


def encode_labels(labels: np.ndarray, label_mode: str, num_classes: int) -> torch.Tensor:
    """Integer labels as ``label_mode`` asks: int32 indices, float32 one-hot or float32 (n, 1)."""
    indices = torch.as_tensor(np.asarray(labels, dtype="int64"))
    if label_mode == "binary":
        return indices.to(torch.float32).unsqueeze(-1)
    if label_mode == "categorical":
        return torch.nn.functional.one_hot(indices, num_classes).to(torch.float32)
    return indices.to(torch.int32)


def check_num_workers(num_workers: Any, kwargs: dict[str, Any], what: str) -> None:
    """Validate ``num_workers`` (worker processes, a torchseq extension) before any work."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            f"{what} expected num_workers to be an int >= 0 (worker processes decoding the "
            f"files), received: num_workers={num_workers!r}"
        )
    if num_workers and kwargs:
        raise ValueError(
            f"{what} takes {sorted(kwargs)} (PyDataset threading options) only with "
            f"num_workers=0; received them with num_workers={num_workers}"
        )


def file_dataset(
    file_paths: list[str],
    labels: torch.Tensor | None,
    class_names: list[str] | None,
    load: Callable[[str], Any],
    collate: Callable[[list[Any]], Any],
    *,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    num_workers: int,
    **kwargs: Any,
) -> FileBatches | FileLoader:
    """A :class:`FileBatches`, or with ``num_workers > 0`` a :class:`FileLoader`."""
    options = {"batch_size": batch_size, "shuffle": shuffle, "seed": seed}
    if num_workers:
        return FileLoader(
            file_paths, labels, class_names, load, collate, num_workers=num_workers, **options
        )
    return FileBatches(file_paths, labels, class_names, load, collate, **options, **kwargs)


class FileBatches(BatchTaking, PyDataset):
    """Batches of samples loaded from files, with their labels; a ``PyDataset``.

    What the ``*_dataset_from_directory`` helpers return. ``dataset[i]`` loads batch ``i``
    (``x``, or ``(x, y)`` with labels); with ``shuffle`` the samples are reshuffled after
    every epoch (seeded by ``seed``), the first epoch in the directory's (shuffled) order.
    With ``workers > 1`` the files of a batch are read and decoded in that many threads.

    Attributes:
        file_paths: The files, in the order of the first epoch.
        class_names: The class names (label order), or ``None`` without labels.
        batch_size: Samples per batch; ``None`` means one sample per item, unbatched.
    """

    def __init__(
        self,
        file_paths: list[str],
        labels: torch.Tensor | None,
        class_names: list[str] | None,
        load: Callable[[str], Any],
        collate: Callable[[list[Any]], Any],
        *,
        batch_size: int | None,
        shuffle: bool,
        seed: int | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"expected batch_size >= 1 or None, received: batch_size={batch_size}")
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._labels = labels
        self._load = load
        self._collate = collate
        self._order = torch.arange(len(self.file_paths))
        self._generator = torch.Generator()
        if seed is None:
            self._generator.seed()
        else:
            self._generator.manual_seed(seed)
        self._pool: ThreadPoolExecutor | None = None

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.file_paths)
        return math.ceil(len(self.file_paths) / self.batch_size)

    def __getitem__(self, index: int) -> Any:
        if not -len(self) <= index < len(self):
            raise IndexError(f"batch index out of range: {index} for {len(self)} batches")
        index %= len(self)
        if self.batch_size is None:
            rows = self._order[index : index + 1]
        else:
            rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        paths = [self.file_paths[row] for row in rows.tolist()]
        x = self._collate(self._read(paths))
        if self.batch_size is None:
            x = x[0]
        if self._labels is None:
            return x
        y = self._labels[rows]
        return x, y[0] if self.batch_size is None else y

    def on_epoch_end(self) -> None:
        """Draw a new sample order for the next epoch when ``shuffle`` is on."""
        if self.shuffle:
            self._order = torch.randperm(len(self.file_paths), generator=self._generator)

    def map(self, function: Callable[..., Any]) -> MappedBatches:
        """A dataset whose batch ``i`` is ``function(*self[i])`` (or ``function(self[i])``).

        Stands in for ``tf.data.Dataset.map``, so ``ds.map(lambda x, y: (vectorize(x), y))``
        runs unchanged.
        """
        return MappedBatches(self, function)

    def _read(self, paths: list[str]) -> list[Any]:
        if self.workers <= 1 or len(paths) <= 1:
            return [self._load(path) for path in paths]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers)
        return list(self._pool.map(self._load, paths))

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_pool"] = None  # threads do not travel to other processes
        return state


class MappedBatches(BatchTaking, PyDataset):
    """``function`` applied to every batch of another ``PyDataset`` (see :meth:`FileBatches.map`)."""

    def __init__(self, source: PyDataset, function: Callable[..., Any]) -> None:
        super().__init__(
            workers=source.workers,
            use_multiprocessing=source.use_multiprocessing,
            max_queue_size=source.max_queue_size,
        )
        self.source = source
        self.function = function
        self.class_names = getattr(source, "class_names", None)

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> Any:
        batch = self.source[index]
        return self.function(*batch) if isinstance(batch, tuple) else self.function(batch)

    def on_epoch_begin(self) -> None:
        self.source.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self.source.on_epoch_end()

    def map(self, function: Callable[..., Any]) -> MappedBatches:
        """Another function applied after this one."""
        return MappedBatches(self, function)


class FileLoader(DataLoader):
    """The batches of :class:`FileBatches`, read and decoded in worker processes.

    What the ``*_dataset_from_directory`` helpers return for ``num_workers > 0`` (a
    torchseq extension): a ``torch.utils.data.DataLoader`` whose ``num_workers`` processes
    each load and decode whole files, in the same batches and the same sample order epoch
    by epoch as the ``FileBatches`` made from the same arguments. ``fit`` / ``evaluate`` /
    ``predict`` take it directly, and iterating it again starts the next epoch.

    Attributes:
        file_paths: The files, in the order of the first epoch.
        class_names: The class names (label order), or ``None`` without labels.
    """

    def __init__(
        self,
        file_paths: list[str],
        labels: torch.Tensor | None,
        class_names: list[str] | None,
        load: Callable[[str], Any],
        collate: Callable[[list[Any]], Any],
        *,
        batch_size: int | None,
        shuffle: bool,
        seed: int | None,
        num_workers: int,
    ) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 1:
            raise ValueError(
                f"expected num_workers to be a positive int, received: num_workers={num_workers!r}"
            )
        if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"expected batch_size >= 1 or None, received: batch_size={batch_size}")
        self.file_paths = list(file_paths)
        self.class_names = class_names
        super().__init__(
            _FileSamples(self.file_paths, load),
            batch_sampler=_FileOrder(len(self.file_paths), batch_size, shuffle, seed),
            collate_fn=_FileCollate(collate, labels, unbatched=batch_size is None),
            num_workers=num_workers,
            persistent_workers=True,  # the order lives in the sampler, not in the workers
        )


class _FileSamples(Dataset):
    """Sample ``i``: file ``i`` decoded by ``load``, with its index (for its label)."""

    def __init__(self, file_paths: list[str], load: Callable[[str], Any]) -> None:
        self.file_paths = file_paths
        self.load = load

    def __len__(self) -> int:
        return len(self.file_paths)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        return self.load(self.file_paths[index]), index


class _FileOrder(Sampler[list[int]]):
    """The sample indices of each batch, in :class:`FileBatches`'s order: the stored order
    first, then (with ``shuffle``) a new seeded permutation every epoch."""

    def __init__(self, count: int, batch_size: int | None, shuffle: bool, seed: int | None) -> None:
        self._count = count
        self._batch_size = batch_size or 1
        self._shuffle = shuffle
        self._order = torch.arange(count)
        self._generator = torch.Generator()
        if seed is None:
            self._generator.seed()
        else:
            self._generator.manual_seed(seed)

    def __len__(self) -> int:
        return math.ceil(self._count / self._batch_size)

    def __iter__(self) -> Any:
        order = self._order.tolist()
        if self._shuffle:
            self._order = torch.randperm(self._count, generator=self._generator)
        for start in range(0, self._count, self._batch_size):
            yield order[start : start + self._batch_size]


class _FileCollate:
    """Decoded samples into a batch (``x`` or ``(x, y)``), run in the worker processes."""

    def __init__(
        self, collate: Callable[[list[Any]], Any], labels: torch.Tensor | None, unbatched: bool
    ) -> None:
        self.collate = collate
        self.labels = labels
        self.unbatched = unbatched

    def __call__(self, samples: list[tuple[Any, int]]) -> Any:
        x = self.collate([sample for sample, _ in samples])
        rows = [row for _, row in samples]
        if self.unbatched:
            x = x[0]
        if self.labels is None:
            return x
        y = self.labels[rows]
        return x, y[0] if self.unbatched else y
