"""Fourier transforms and short-time Fourier transforms (``keras.ops`` math).

As in Keras, complex values travel as ``(real, imaginary)`` pairs of float tensors: the
transforms take and return such pairs (``rfft`` takes a real tensor, ``irfft`` returns one).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from torchseq.ops._convert import Tensor, TensorLike, _floating, _operands

__all__ = ["extract_sequences", "fft", "fft2", "ifft2", "irfft", "istft", "rfft", "stft"]

Window = str | TensorLike | None


def _complex(x: Sequence[TensorLike], name: str) -> Tensor:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"{name} expected x as a pair (real, imaginary) of float tensors, received: "
            f"{type(x).__name__}"
        )
    real, imaginary = _operands(*x)
    if real.shape != imaginary.shape:
        raise ValueError(
            f"{name} expected real and imaginary parts of one shape, received: "
            f"{tuple(real.shape)} and {tuple(imaginary.shape)}"
        )
    if not (real.is_floating_point() and imaginary.is_floating_point()):
        raise TypeError(
            f"{name} expected float real and imaginary parts, received: {real.dtype} and "
            f"{imaginary.dtype}"
        )
    dtype = torch.promote_types(real.dtype, imaginary.dtype)
    return torch.complex(real.to(dtype), imaginary.to(dtype))


def _pair(x: Tensor) -> tuple[Tensor, Tensor]:
    return x.real, x.imag


def fft(x: Sequence[TensorLike]) -> tuple[Tensor, Tensor]:
    """Discrete Fourier transform over the last axis of ``(real, imaginary)``."""
    return _pair(torch.fft.fft(_complex(x, "fft")))


def fft2(x: Sequence[TensorLike]) -> tuple[Tensor, Tensor]:
    """2-D discrete Fourier transform over the last two axes of ``(real, imaginary)``."""
    return _pair(torch.fft.fft2(_complex(x, "fft2")))


def ifft2(x: Sequence[TensorLike]) -> tuple[Tensor, Tensor]:
    """Inverse of ``fft2``."""
    return _pair(torch.fft.ifft2(_complex(x, "ifft2")))


def rfft(x: TensorLike, fft_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Fourier transform of a real signal over its last axis: the ``fft_length // 2 + 1``
    non-negative frequencies, the signal cut or zero-padded to ``fft_length`` first."""
    return _pair(torch.fft.rfft(_floating(x), n=fft_length, dim=-1))


def irfft(x: Sequence[TensorLike], fft_length: int | None = None) -> Tensor:
    """Inverse of ``rfft``: a real signal of ``fft_length`` samples (default
    ``2 * (bins - 1)``)."""
    return torch.fft.irfft(_complex(x, "irfft"), n=fft_length, dim=-1)


def extract_sequences(x: TensorLike, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last axis:
    ``(..., samples)`` becomes ``(..., frames, sequence_length)``."""
    return _floating(x).unfold(-1, sequence_length, sequence_stride)


def _window(window: Window, length: int, dtype: torch.dtype, device: torch.device) -> Tensor | None:
    if window is None:
        return None
    if isinstance(window, str):
        makers = {"hann": torch.hann_window, "hamming": torch.hamming_window}
        if window not in makers:
            raise ValueError(
                f"stft expected window 'hann', 'hamming', a tensor or None, received: window={window!r}"
            )
        return makers[window](length, periodic=True, dtype=dtype, device=device)
    values = _operands(window)[0].to(dtype=dtype, device=device)
    if tuple(values.shape) != (length,):
        raise ValueError(
            f"stft expected a window of shape ({length},) (sequence_length), received: "
            f"shape {tuple(values.shape)}"
        )
    return values


def _check_lengths(name: str, sequence_length: int, fft_length: int) -> None:
    if fft_length < sequence_length:
        raise ValueError(
            f"{name} expected fft_length >= sequence_length, received: "
            f"fft_length={fft_length}, sequence_length={sequence_length}"
        )


def stft(
    x: TensorLike,
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    window: Window = "hann",
    center: bool = True,
) -> tuple[Tensor, Tensor]:
    """Short-time Fourier transform over the last axis.

    Args:
        x: Real signal ``(..., samples)``.
        sequence_length: Samples per frame.
        sequence_stride: Samples between the starts of frames.
        fft_length: FFT size, at least ``sequence_length`` (frames are zero-padded).
        window: ``"hann"`` (default), ``"hamming"``, a ``(sequence_length,)`` tensor, or
            ``None`` for no window.
        center: Pad the signal by ``fft_length // 2`` on each side (by reflection) so
            frames are centred on their times. Defaults to ``True``.

    Returns:
        ``(real, imaginary)``, each ``(..., frames, fft_length // 2 + 1)``.
    """
    _check_lengths("stft", sequence_length, fft_length)
    x = _floating(x)
    win = _window(window, sequence_length, x.dtype, x.device)
    if win is None:
        win = torch.ones(sequence_length, dtype=x.dtype, device=x.device)
    batch, samples = x.shape[:-1], x.shape[-1]
    spectrum = torch.stft(
        x.reshape(-1, samples),
        n_fft=fft_length,
        hop_length=sequence_stride,
        win_length=sequence_length,
        window=win,
        center=center,
        return_complex=True,
    )
    spectrum = spectrum.reshape(batch + spectrum.shape[-2:]).transpose(-2, -1)
    return _pair(spectrum)


def _overlap_add(frames: Tensor, stride: int) -> Tensor:
    """Sum frames ``(..., count, length)`` placed every ``stride`` samples."""
    *batch, count, length = frames.shape
    total = stride * (count - 1) + length
    columns = frames.reshape(-1, count, length).transpose(1, 2)
    summed = torch.nn.functional.fold(columns, (1, total), (1, length), stride=(1, stride))
    return summed.reshape(*batch, total)


def istft(
    x: Sequence[TensorLike],
    sequence_length: int,
    sequence_stride: int,
    fft_length: int,
    length: int | None = None,
    window: Window = "hann",
    center: bool = True,
) -> Tensor:
    """Inverse of ``stft``: a real signal from ``(real, imaginary)`` frames.

    Args:
        x: ``(real, imaginary)``, each ``(..., frames, fft_length // 2 + 1)``.
        sequence_length, sequence_stride, fft_length, window, center: As given to ``stft``.
        length: Cut the signal to this many samples. Defaults to all of them.
    """
    _check_lengths("istft", sequence_length, fft_length)
    spectrum = _complex(x, "istft")
    dtype = spectrum.real.dtype
    win = _window(window, sequence_length, dtype, spectrum.device)
    if win is not None and center and sequence_length == fft_length:
        batch, bins = spectrum.shape[:-2], spectrum.shape[-2:]
        signal = torch.istft(
            spectrum.reshape((-1,) + bins).transpose(-2, -1),
            n_fft=fft_length,
            hop_length=sequence_stride,
            win_length=sequence_length,
            window=win,
            center=center,
            length=length,
        )
        return signal.reshape(batch + signal.shape[-1:])
    frames = torch.fft.irfft(spectrum, n=fft_length, dim=-1)
    if win is not None:
        # TensorFlow's inverse window: the window over the summed squares of its overlaps.
        left = (fft_length - sequence_length) // 2
        win = torch.nn.functional.pad(win, (left, fft_length - sequence_length - left))
        overlaps = -(-fft_length // sequence_stride)
        squares = torch.nn.functional.pad(win.square(), (0, overlaps * sequence_stride - fft_length))
        denominator = squares.reshape(overlaps, sequence_stride).sum(0).repeat(overlaps)
        frames = frames * (win / denominator[:fft_length])
    signal = _overlap_add(frames, sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = signal.shape[-1] - fft_length // 2
    else:
        end = signal.shape[-1]
    return signal[..., start:end]
