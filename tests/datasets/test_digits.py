"""Tests for torchseq.datasets.digits: the shipped UCI handwritten digits."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from torchseq.datasets import digits

TOTAL = 1797


@pytest.fixture(scope="module")
def default_split():
    return digits.load_data()


def test_shapes_and_dtypes(default_split):
    (x_train, y_train), (x_test, y_test) = default_split
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype("uint8")}


def test_value_ranges(default_split):
    (x_train, y_train), (x_test, y_test) = default_split
    images = np.concatenate([x_train, x_test])
    assert images.min() == 0 and images.max() == 16
    assert set(np.concatenate([y_train, y_test]).tolist()) == set(range(10))


def test_classes_are_balanced(default_split):
    (_, y_train), (_, y_test) = default_split
    counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert counts.sum() == TOTAL and counts.min() >= 174 and counts.max() <= 183
    for labels in (y_train, y_test):
        shares = np.bincount(labels, minlength=10) / len(labels)
        assert shares.min() > 0.05 and shares.max() < 0.15


def test_split_is_deterministic_and_depends_on_the_seed(default_split):
    (x_train, y_train), (x_test, _) = default_split
    (again_x, again_y), (again_test, _) = digits.load_data()
    assert np.array_equal(x_train, again_x) and np.array_equal(y_train, again_y)
    assert np.array_equal(x_test, again_test)
    (other_x, _), _ = digits.load_data(seed=0)
    assert not np.array_equal(other_x, x_train)


def test_train_and_test_partition_the_data(default_split):
    (x_train, y_train), (x_test, y_test) = default_split
    (all_x, all_y), (none_x, none_y) = digits.load_data(test_split=0.0)
    assert all_x.shape == (TOTAL, 8, 8) and none_x.shape == (0, 8, 8) and none_y.shape == (0,)
    assert np.array_equal(np.concatenate([x_train, x_test]), all_x)
    assert np.array_equal(np.concatenate([y_train, y_test]), all_y)
    (_, _), (x_half, _) = digits.load_data(test_split=0.5)
    assert len(x_half) == TOTAL - int(TOTAL * 0.5)


# The first row of the UCI file (sklearn's digits.csv.gz): a zero.
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]
# sha256 of images.tobytes() + labels.tobytes() in the UCI file's order
CHECKSUM = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"


def test_stored_data_is_the_uci_data():
    images, labels = digits._read()
    assert hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest() == CHECKSUM
    assert np.array_equal(images[0], FIRST_IMAGE) and labels[0] == 0


# (arguments, exception, message pattern)
ERROR_CASES = {
    "split_one": (
        {"test_split": 1.0},
        ValueError,
        r"test_split must be in \[0, 1\), received: test_split=1.0",
    ),
    "split_negative": ({"test_split": -0.2}, ValueError, "test_split=-0.2"),
    "split_string": ({"test_split": "0.2"}, TypeError, "test_split must be a float"),
    "seed_float": ({"seed": 1.5}, TypeError, "seed must be an int, received: seed=1.5"),
}


@pytest.mark.parametrize("case", ERROR_CASES.values(), ids=ERROR_CASES)
def test_bad_arguments(case):
    kwargs, error, pattern = case
    with pytest.raises(error, match=pattern):
        digits.load_data(**kwargs)
