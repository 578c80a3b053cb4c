"""Tests for torchseq.utils.sequence: the PyDataset / Sequence base classes."""

from __future__ import annotations

import numpy as np
import pytest

from torchseq.utils.sequence import PyDataset, Sequence


class Squares(PyDataset):
    def __init__(self, count=3, **kwargs):
        super().__init__(**kwargs)
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        return np.full((2, 1), index**2), np.full((2,), index)


class Endless(PyDataset):
    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        return np.full((1, 1), index)


class KerasTwo(Sequence):
    """Keras 2 code subclasses Sequence without calling super().__init__()."""

    def __len__(self):
        return 1

    def __getitem__(self, index):
        return np.zeros((1, 1))


def test_sequence_is_pydataset_as_in_keras_3():
    assert Sequence is PyDataset


def test_length_items_and_iteration():
    data = Squares()
    assert len(data) == data.num_batches == 3
    assert [int(x[0, 0]) for x, _ in data] == [0, 1, 4]


def test_endless_dataset_iterates_without_length():
    values = []
    for (x,) in zip(Endless()):
        values.append(int(x[0, 0]))
        if len(values) == 5:
            break
    assert values == [0, 1, 2, 3, 4]


def test_epoch_hooks_do_nothing_by_default():
    data = Squares()
    assert data.on_epoch_begin() is None and data.on_epoch_end() is None


# (constructor arguments, expected (workers, use_multiprocessing, max_queue_size))
PARALLELISM_CASES = [
    ({}, (1, False, 10)),
    ({"workers": 4, "use_multiprocessing": True, "max_queue_size": 2}, (4, True, 2)),
    ({"workers": 0}, (0, False, 10)),
]


@pytest.mark.parametrize(("kwargs", "expected"), PARALLELISM_CASES)
def test_parallelism_arguments_are_kept(kwargs, expected):
    data = Squares(**kwargs)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == expected


def test_subclass_without_super_init_reads_defaults():
    data = KerasTwo()
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 10)
    assert len(data) == 1


# (constructor arguments, exception, message pattern)
ERROR_CASES = {
    "workers_negative": ({"workers": -1}, ValueError, "workers must be >= 0, received: workers=-1"),
    "workers_float": ({"workers": 1.5}, TypeError, "workers must be an int, received: workers=1.5"),
    "queue_bool": ({"max_queue_size": True}, TypeError, "max_queue_size must be an int"),
    "multiprocessing_int": (
        {"use_multiprocessing": 1},
        TypeError,
        "use_multiprocessing must be a bool, received: use_multiprocessing=1",
    ),
}


@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES)
def test_bad_arguments(case):
    kwargs, error, pattern = case
    with pytest.raises(error, match=pattern):
        Squares(**kwargs)


def test_missing_methods_say_what_to_implement():
    with pytest.raises(NotImplementedError, match="must implement __len__"):
        len(PyDataset())
    with pytest.raises(NotImplementedError, match=r"must implement __getitem__\(index\)"):
        PyDataset()[0]
