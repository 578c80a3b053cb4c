"""Tests for torchseq.datasets.boston_housing and california_housing, against Keras."""

from __future__ import annotations

import numpy as np
import pytest

from tests.datasets import assert_same_arrays, fake_files
from tests.datasets.serving import cached
from torchseq.datasets import boston_housing, california_housing


@pytest.fixture
def boston(serve):
    arrays = fake_files.housing_arrays(31, 13)
    serve(boston_housing, "boston_housing.npz", fake_files.npz_bytes(**arrays))
    return arrays


@pytest.fixture
def california(serve):
    arrays = fake_files.housing_arrays(640, 8, seed=1)
    serve(california_housing, "california_housing.npz", fake_files.npz_bytes(**arrays))
    return arrays


def test_origins_and_hashes_are_keras_s():
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert boston_housing._ORIGIN == base + "boston_housing.npz"
    assert california_housing._ORIGIN == base + "california_housing.npz"
    assert boston_housing._FILE_HASH.startswith("f553886a1f8d")
    assert california_housing._FILE_HASH.startswith("1a2e3a52e039")


def test_boston_split(boston, keras_home):
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (24, 13) and x_test.shape == (7, 13) and y_test.shape == (7,)
    assert x_train.dtype == boston["x"].dtype
    order = np.arange(31)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), boston["y"][order])


@pytest.mark.parametrize("options", [{}, {"test_split": 0.5, "seed": 1}, {"test_split": 0}])
def test_boston_matches_keras(boston, keras_home, keras_dataset, options):
    ours = boston_housing.load_data(**options)
    local = {"boston_housing.npz": cached(keras_home, "boston_housing.npz")}
    theirs = keras_dataset("boston_housing", local).load_data(**options)
    assert_same_arrays(ours, theirs)


@pytest.mark.parametrize(
    "options", [{}, {"version": "small"}, {"version": "small", "test_split": 0.1, "seed": 5}]
)
def test_california_matches_keras(california, keras_home, keras_dataset, options):
    ours = california_housing.load_data(**options)
    local = {"california_housing.npz": cached(keras_home, "california_housing.npz")}
    theirs = keras_dataset("california_housing", local).load_data(**options)
    assert_same_arrays(ours, theirs)
    assert len(ours[0][0]) + len(ours[1][0]) == (600 if options else 640)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='version must be "small" or "large", received: .*medium'):
        california_housing.load_data(version="medium")
    with pytest.raises(
        ValueError, match=r"test_split must be in \[0, 1\), received: test_split=-0.1"
    ):
        boston_housing.load_data(test_split=-0.1)
