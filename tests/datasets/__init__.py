"""Tests of torchseq.datasets, and helpers they share."""

from __future__ import annotations

import numpy as np


def assert_same_arrays(ours: object, theirs: object) -> None:
    """Nested tuples of arrays: equal values, dtypes and shapes (object arrays compared as lists)."""
    if isinstance(ours, tuple):
        assert isinstance(theirs, tuple) and len(ours) == len(theirs)
        for mine, keras_value in zip(ours, theirs):
            assert_same_arrays(mine, keras_value)
        return
    assert isinstance(ours, np.ndarray), type(ours)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if ours.dtype == object:
        assert ours.tolist() == theirs.tolist()
    else:
        np.testing.assert_array_equal(ours, theirs)
