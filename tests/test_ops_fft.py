"""Fourier transforms, framing and short-time transforms of torchseq.ops against keras.ops
on the same inputs; complex values travel as (real, imaginary) pairs in both."""

from __future__ import annotations

import numpy as np
import pytest

import torchseq
from tests.test_ops import _as_numpy
from torchseq import ops
from torchseq.layers.symbolic import KerasTensor

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(4)
REAL = RNG.normal(size=(2, 8)).astype("float32")
IMAG = RNG.normal(size=(2, 8)).astype("float32")
GRID = (RNG.normal(size=(2, 4, 6)).astype("float32"), RNG.normal(size=(2, 4, 6)).astype("float32"))
SIGNAL = RNG.normal(size=(2, 64)).astype("float32")
LONG = RNG.normal(size=(2, 3, 50)).astype("float32")
WINDOW = np.hanning(16).astype("float32")


def _spectrum(*args, **kwargs):
    return tuple(ops.convert_to_numpy(t) for t in keras.ops.stft(*args, **kwargs))


# (name, args, kwargs): run through keras.ops.<name> and torchseq.ops.<name>.
KERAS_CASES = [
    ("fft", ((REAL, IMAG),), {}),
    ("fft2", (GRID,), {}),
    ("ifft2", (GRID,), {}),
    ("rfft", (SIGNAL,), {}),
    ("rfft", (SIGNAL,), {"fft_length": 40}),
    ("irfft", ((REAL[:, :5], IMAG[:, :5]),), {}),
    ("irfft", ((REAL[:, :5], IMAG[:, :5]),), {"fft_length": 9}),
    ("extract_sequences", (SIGNAL, 16, 8), {}),
    ("extract_sequences", (LONG, 10, 7), {}),
    ("stft", (SIGNAL, 16, 8, 16), {}),
    ("stft", (LONG, 12, 5, 16), {"window": "hamming"}),
    ("stft", (SIGNAL, 16, 4, 32), {"window": None, "center": False}),
    ("stft", (SIGNAL, 16, 8, 16), {"window": WINDOW}),
    ("istft", (_spectrum(SIGNAL, 16, 8, 16), 16, 8, 16), {}),
    ("istft", (_spectrum(SIGNAL, 16, 8, 16), 16, 8, 16), {"length": 60}),
    ("istft", (_spectrum(LONG, 12, 4, 16), 12, 4, 16), {}),
    ("istft", (_spectrum(SIGNAL, 16, 4, 32, center=False), 16, 4, 32), {"center": False}),
    ("istft", (_spectrum(SIGNAL, 16, 8, 16, window=None), 16, 8, 16), {"window": None}),
]


def _case_id(case: tuple) -> str:
    name, _, kwargs = case
    return name + "".join(f"-{k}={type(v).__name__ if hasattr(v, 'shape') else v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_matches_keras_ops(case):
    name, args, kwargs = case
    theirs = _as_numpy(getattr(keras.ops, name)(*args, **kwargs), ops.convert_to_numpy)
    ours = _as_numpy(getattr(ops, name)(*args, **kwargs), ops.convert_to_numpy)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert mine.shape == reference.shape and mine.dtype == reference.dtype
        np.testing.assert_allclose(mine, reference, rtol=1e-4, atol=1e-4)


def test_stft_then_istft_gives_the_signal_back():
    spectrum = ops.stft(SIGNAL, 16, 4, 16)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ops.istft(spectrum, 16, 4, 16, length=64)), SIGNAL, atol=1e-5
    )


def test_fft_matches_numpy():
    real, imag = (ops.convert_to_numpy(t) for t in ops.fft((REAL, IMAG)))
    expected = np.fft.fft(REAL + 1j * IMAG)
    np.testing.assert_allclose(real + 1j * imag, expected, rtol=1e-5, atol=1e-5)


class TestErrors:
    def test_pair_needed(self):
        with pytest.raises(ValueError, match="pair \\(real, imaginary\\).*received: ndarray"):
            ops.fft(REAL)

    def test_float_parts(self):
        with pytest.raises(TypeError, match="float real and imaginary parts"):
            ops.fft((np.ones(4, "int64"), np.ones(4, "int64")))

    def test_fft_length(self):
        with pytest.raises(ValueError, match="fft_length >= sequence_length, received: fft_length=8"):
            ops.stft(SIGNAL, 16, 4, 8)

    def test_window_name(self):
        with pytest.raises(ValueError, match="received: window='blackman'"):
            ops.stft(SIGNAL, 16, 4, 16, window="blackman")


def test_symbolic_calls_have_keras_shapes():
    for k in (torchseq, keras):
        x = k.Input((64,))
        real, imag = k.ops.stft(x, 16, 8, 16)
        shapes = [real.shape, imag.shape, k.ops.rfft(x)[0].shape, k.ops.extract_sequences(x, 16, 8).shape]
        if k is torchseq:
            assert isinstance(real, KerasTensor)
            ours = shapes
    assert ours == shapes
