"""Tests for torchseq.preprocessing: the keras.preprocessing namespace that programs import."""

from __future__ import annotations

import numpy as np
import pytest

import torchseq.preprocessing
from torchseq import utils
from torchseq.preprocessing import sequence


def test_sequence_pad_sequences_is_utils_pad_sequences():
    assert sequence.pad_sequences is utils.pad_sequences
    assert torchseq.preprocessing.sequence is sequence
    assert sequence.__all__ == ["pad_sequences"]


def test_matches_keras_preprocessing_sequence():
    keras = pytest.importorskip("keras")
    data = [[5, 6, 7], [8], [9, 10]]
    ours = sequence.pad_sequences(data, maxlen=2, padding="post", truncating="post")
    theirs = keras.preprocessing.sequence.pad_sequences(
        data, maxlen=2, padding="post", truncating="post"
    )
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
