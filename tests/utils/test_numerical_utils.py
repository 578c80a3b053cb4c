"""to_categorical and normalize against keras.utils."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchseq.utils.numerical_utils import normalize, to_categorical

LABEL_CASES = [
    ([0, 1, 2, 3], None),
    ([0, 1, 2, 3], 6),
    (np.array([[1], [0], [2]]), None),
    (np.array([[1], [0], [2]]), 4),
    (np.array([[0, 1, 2], [2, 1, 0]]), 3),
    (np.array([[[1], [0]], [[2], [2]]]), 5),
    (np.array([3]), None),
    (np.array([1.0, 0.0, 2.0]), 3),
]


@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("labels, num_classes", LABEL_CASES)
def test_to_categorical_matches_keras(keras, labels, num_classes):
    expected = keras.utils.to_categorical(labels, num_classes)
    result = to_categorical(labels, num_classes)
    assert result.dtype == np.float32
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


def test_to_categorical_squeezes_a_trailing_one():
    assert to_categorical(np.zeros((5, 1), "int64"), 3).shape == (5, 3)


def test_to_categorical_of_a_tensor_stays_a_tensor():
    result = to_categorical(torch.tensor([2, 0]), 3)
    assert isinstance(result, torch.Tensor)
    torch.testing.assert_close(result, torch.tensor([[0.0, 0, 1], [1, 0, 0]]))


@pytest.mark.parametrize(
    "labels, num_classes, message",
    [
        ([0, -1, 2], 3, r"labels in \[0, 3\), received: label -1"),
        ([0, 5, 2], 3, r"labels in \[0, 3\), received: label 5"),
        ([0, 3], 3, r"received: label 3"),
        ([-2, 0], None, r"labels in \[0, 1\), received: label -2"),
        ([0, 1], 0, r"num_classes >= 1, received: 0"),
        ([], None, "cannot infer num_classes"),
    ],
)
def test_to_categorical_errors(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, num_classes)


X = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 1), (-1, np.inf)])
def test_normalize_matches_keras(keras, axis, order):
    np.testing.assert_allclose(normalize(X, axis, order), keras.utils.normalize(X, axis, order))


def test_normalize_along_first_axis():
    # Keras's numpy branch mis-expands the norm for axis=0; numpy's definition decides.
    expected = X / np.where((n := np.linalg.norm(X, axis=0)) == 0, 1, n)
    np.testing.assert_allclose(normalize(X, axis=0), expected)


def test_normalize_keeps_zero_rows_at_zero():
    assert not np.isnan(normalize(X)).any()
    np.testing.assert_array_equal(normalize(X)[1], 0.0)


def test_normalize_tensor_matches_keras(keras):
    x = torch.tensor(X, dtype=torch.float32)
    expected = keras.ops.normalize(x, axis=-1, order=2)
    torch.testing.assert_close(normalize(x), expected)
