"""``utils.text_dataset_from_directory``: a batched dataset of ``.txt`` files from sub-directories.

Keras returns a ``tf.data.Dataset`` of string tensors; torch has no string tensors, so
torchseq's batches hold the texts as a numpy array of ``str`` (a
:class:`~torchseq.utils.dataset_utils.FileBatches`, a ``PyDataset``). Turn them into numbers with
``layers.TextVectorization``, in the data pipeline (``dataset.map``) or first in the model.

Example:
    >>> raw_train = text_dataset_from_directory(  # doctest: +SKIP
    ...     "aclImdb/train", batch_size=32, validation_split=0.2, subset="training", seed=42)
    >>> vectorize.adapt(raw_train.map(lambda text, label: text))  # doctest: +SKIP
    >>> model.fit(raw_train.map(lambda text, label: (vectorize(text), label)))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from torchseq.utils import dataset_utils
from torchseq.utils.dataset_utils import FileBatches, FileLoader

__all__ = ["text_dataset_from_directory"]

TEXT_FORMATS = (".txt",)


def text_dataset_from_directory(
    directory: str | os.PathLike,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    max_length: int | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
    num_workers: int = 0,
    **kwargs: Any,
) -> FileBatches | FileLoader | list[FileBatches | FileLoader]:
    """Text files in ``directory`` as a batched, labelled dataset; mirrors Keras's function.

    With ``labels="inferred"`` every sub-directory is a class (sorted by name, or in the
    order of ``class_names``), searched recursively for ``.txt`` files. The file list,
    the shuffle with ``seed`` and the training / validation cut are Keras's.

    Args:
        directory: The root directory.
        labels: ``"inferred"`` (default), ``None`` (texts only) or a list of integer
            labels, one per file in sorted path order.
        label_mode: ``"int"`` (default, int32), ``"categorical"`` (float32 one-hot),
            ``"binary"`` (float32 ``(batch, 1)``, two classes) or ``None`` (no labels).
        class_names: With inferred labels, the sub-directories to use, in label order.
        batch_size: Texts per batch. Defaults to ``32``; ``None`` yields single texts.
        max_length: Keep at most this many characters of each text. Defaults to ``None``.
        shuffle: Whether to shuffle the files, and reshuffle after every epoch.
            Defaults to ``True``; ``False`` keeps the sorted path order.
        seed: Seed of the shuffles. Defaults to ``None``.
        validation_split: Fraction of the files to keep for validation. Defaults to ``None``.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a ``[training, validation]``
            list); only with ``validation_split``.
        follow_links: Whether to follow symbolic links to directories. Defaults to ``False``.
        verbose: Whether to print how many files were found. Defaults to ``True``.
        num_workers: A torchseq extension: with ``num_workers > 0`` the files are read and
            decoded in that many worker processes, and a ``FileLoader`` (a ``DataLoader``
            with ``class_names`` and ``file_paths``, the same batches in the same order)
            is returned. Defaults to ``0``: decoded in this process.
        **kwargs: ``workers`` (threads reading a batch's files), ``use_multiprocessing``
            and ``max_queue_size``, passed to the ``PyDataset``.

    Returns:
        A ``FileBatches`` dataset (``class_names``, ``file_paths``; a ``FileLoader`` with
        ``num_workers``), or a list of two for ``subset="both"``. A batch is ``texts`` or
        ``(texts, labels)``, ``texts`` a numpy array of ``str``.
    """
    what = "text_dataset_from_directory"
    if label_mode is None or labels is None:
        labels, label_mode = None, None
    dataset_utils.check_directory_args(
        labels, label_mode, class_names, validation_split, subset, shuffle, seed, what
    )
    dataset_utils.check_num_workers(num_workers, kwargs, what)
    if max_length is not None and (isinstance(max_length, bool) or max_length < 0):
        raise ValueError(
            f"{what} expected max_length >= 0 or None, received: max_length={max_length}"
        )
    if seed is None:
        seed = int(np.random.randint(1e6))
    paths, label_array, names = dataset_utils.index_directory(
        directory, labels, TEXT_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(names or ()) != 2:
        raise ValueError(
            f"{what} with label_mode='binary' needs exactly 2 classes, received: class_names={names}"
        )
    load = functools.partial(_read_text, max_length=max_length)

    def make(part: str | None, part_shuffle: bool) -> FileBatches | FileLoader:
        part_paths, part_labels = dataset_utils.take_subset(
            paths, label_array, validation_split, part
        )
        if not part_paths:
            kind = f"{part} " if part else ""
            raise ValueError(
                f"No {kind}text files found in directory {os.fspath(directory)!r}; "
                "expected files ending in .txt"
            )
        encoded = None
        if label_mode is not None and part_labels is not None:
            encoded = dataset_utils.encode_labels(part_labels, label_mode, len(names or ()))
        return dataset_utils.file_dataset(
            part_paths,
            encoded,
            names,
            load,
            _as_string_array,
            batch_size=batch_size,
            shuffle=part_shuffle,
            seed=seed,
            num_workers=num_workers,
            **kwargs,
        )

    if subset == "both":
        return [make("training", shuffle), make("validation", False)]
    return make(subset, shuffle)


def _read_text(path: str, *, max_length: int | None) -> str:
    with open(path, encoding="utf-8") as file:
        text = file.read()
    return text if max_length is None else text[:max_length]


def _as_string_array(texts: list[str]) -> np.ndarray:
    return np.array(texts, dtype=str)
