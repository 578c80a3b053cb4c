"""Tests for utils.split_dataset: the same split as Keras's torch backend for a seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from keras.src.utils import dataset_utils as keras_dataset_utils
from torch.utils.data import TensorDataset

from torchseq.utils import split_dataset


def _rows(subset):
    return [tuple(t.tolist() for t in subset[i]) for i in range(len(subset))]


@pytest.mark.parametrize(
    ("left", "right", "shuffle"),
    [(0.8, None, True), (None, 3, True), (4, 0.6, True)],
)
def test_same_split_as_keras(left, right, shuffle):
    data = (np.arange(20.0).reshape(10, 2), np.arange(10))
    ours = split_dataset(data, left, right, shuffle=shuffle, seed=5)
    theirs = keras_dataset_utils.split_dataset(data, left, right, shuffle=shuffle, seed=5)
    for mine, keras_part in zip(ours, theirs):
        assert _rows(mine) == _rows(keras_part)


def test_without_shuffle_the_order_is_kept_and_sizes_may_leave_samples_out():
    left, right = split_dataset(np.arange(10), left_size=0.3, right_size=0.5)
    assert [int(x) for (x,) in left] == [0, 1, 2]
    assert [int(x) for (x,) in right] == [3, 4, 5, 6, 7]


def test_array_tensor_and_dataset_inputs():
    left, right = split_dataset(np.arange(10), left_size=7)
    assert (len(left), len(right)) == (7, 3)
    left, right = split_dataset(TensorDataset(torch.arange(6)), right_size=0.5, shuffle=True)
    assert sorted(int(x) for (x,) in list(left) + list(right)) == list(range(6))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "at least one"),
        ({"left_size": 1.5}, ValueError, r"in \(0, 1\)"),
        ({"left_size": 10}, ValueError, r"\[1, 9\]"),
        ({"left_size": "half"}, TypeError, "int, a float or None"),
        ({"left_size": 6, "right_size": 6}, ValueError, "<= 10"),
        ({"left_size": 0.01}, ValueError, "empty"),
    ],
)
def test_bad_sizes_are_rejected(kwargs, error, match):
    with pytest.raises(error, match=match):
        split_dataset(np.arange(10), **kwargs)


def test_bad_dataset_is_rejected():
    with pytest.raises(TypeError, match="torch Dataset"):
        split_dataset("abc", left_size=1)
    with pytest.raises(ValueError, match="same length"):
        split_dataset((np.zeros(3), np.zeros(4)), left_size=1)
